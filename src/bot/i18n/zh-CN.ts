/** The generic catalogue in Simplified Chinese; the type makes the compiler demand every key of `en.ts`. */
import type { MessageKey } from './en.ts';

export const zhCN: Record<MessageKey, string> = {
  'parse.empty': '请发送命令，例如 /帮助。',
  'parse.no-slash': '命令以 / 开头。发送 /帮助 查看我能做什么。',
  'parse.unclosed-quote': '引号 {quote} 没有闭合：请补上另一半引号。',
  'parse.too-long': '命令太长了（超过 {max} 个字符）。',
  'parse.control': '消息里有命令不能包含的控制字符（{code}），请去掉后重新输入。',
  'pipeline.text-only': '我只读取文字命令。发送 /帮助 查看命令。',
  'pipeline.no-user-id': '我只为本组织成员服务：钉钉没有提供你的 userId。',

  'command.unknown': '未知命令 /{command}。发送 /帮助 查看你可以使用的命令。',
  'command.unknown-suggest': '未知命令 /{command}。你是不是想用 {suggestions}？',
  'command.group': '/{group} 需要子命令：{list}。发送 /帮助 {group} 查看详情。',
  'command.group-unknown': '/{command} 不是命令。/{group} 的子命令有：{list}。',

  'usage.line': '用法：{usage}',
  'usage.example': '示例：{example}',
  'param.chat': '<群>',
  'args.choice-missing': '请以其中之一开头：{choices}。\n用法：{usage}',
  'args.bad-choice': '请从 {choices} 中选一个；"{value}" 不是其中之一。\n用法：{usage}',
  'args.missing': '缺少 {slot}。\n用法：{usage}',
  'args.too-many': '这里不需要 "{extra}"。\n用法：{usage}',
  'args.invalid': '参数有误：{problems}\n用法：{usage}',
  'args.not-int': '{slot} 必须是整数，而不是 "{value}"。',
  'args.unknown-option': '未知选项 {option}。可用选项：{valid}。含有 = 的文字请加引号。',
  'args.unknown-option-suggest': '未知选项 {option}。你是不是想用 {suggestion}？可用选项：{valid}。',
  'args.no-options': '/{command, command} 不接受 key=value 选项（收到 {option}）。含有 = 的文字请加引号。',
  'args.option-twice': '选项 {option} 出现了两次。',
  'args.bad-onoff': '{option} 只能是 on 或 off（开/关），而不是 "{value}"。',
  'args.bad-enum': '{option} 只能是 {values} 之一，而不是 "{value}"。',
  'args.mentions-left': '你 @ 的人比这个命令需要的多。\n用法：{usage}',

  'user.invalid': '"{value}" 不是一个人。请输入姓名、手机号、userId、部门:<部门名> 或 me，或用 @ 选人。',
  'user.external': '你 @ 的人中有组织外成员（钉钉没有提供 userId），无法操作。',

  // 按姓名、手机号或部门指定的人
  'args.option-empty': '{option}= 后面需要一个人：姓名、手机号、userId、me，或用 @ 选人。',
  'people.one-expected': '"{word}" 在这里对应 {count} 人，但这里只能是一个人。',
  'people.dept-empty-name':
    '"{value}" 没有写部门名：请写 dept:<部门名>，例如 dept:设计 或 部门:"设计 团队"。',
  'people.resolved': '已识别：{list}。',
  'people.dept-note': '{word} → {dept}（{count} 人）',
  'people.dept-note-capped': '{word} → {dept}（共 {total} 人；一条命令只能使用前 {listed} 人）',
  'people.dept-note-capped-more': '{word} → {dept}（超过 {listed} 人；一条命令只能使用前 {listed} 人）',
  'people.dept-empty': '部门 {dept}（"{word}"）没有成员。未做任何更改。',
  'people.ambiguous': '有多人与"{word}"匹配：{candidates}。请输入其中一人的 userId。',
  'people.none': '通讯录中没有与"{word}"匹配的人。未做任何更改。',
  'people.none-close': '通讯录中没有与"{word}"匹配的人。你是否要找：{close}？未做任何更改。',
  'people.dept-none': '没有与"{word}"匹配的部门。未做任何更改。',
  'people.depts':
    '有多个部门与"{word}"匹配：{depts}。请输入准确的部门名，例如 部门:"<部门名>"。未做任何更改。',
  'people.invalid-empty': '"{word}" 中的人为空：请输入姓名、手机号、userId 或 部门:<部门名>。',
  'people.invalid-tooLong': '"{word}" 太长，不可能是人名。未做任何更改。',
  'people.invalid-badMobile': '"{word}" 不是手机号：只能包含数字，例如 13800138000 或 +86 138 0013 8000。',
  'people.denied': '无法查找"{word}"：应用缺少钉钉权限 {permission}。输入 userId 或用 @ 选人仍然可用。',
  'people.out-of-range':
    '无法查找"{word}"：此人或部门不在应用的通讯录授权范围内。输入 userId 或用 @ 选人仍然可用。',
  'people.too-many':
    '这条消息要查找 {count} 人，一条消息最多查找 {max} 人。未查找也未更改任何内容：请分几次发送，或使用 dept:<部门名>。',
  'people.big': '此操作涉及按姓名或部门找到的 {count} 人：{list}',
  'people.more': '等另外 {count} 人',
  'pick.title': '请选择',
  'pick.ask': '有 {count} 个名字匹配到多个人。尚未做任何更改。',
  'pick.word': '{word}：',
  'pick.word-command': '选',
  'pick.how': '请在 {minutes} 分钟内发送 {example}（{count} 个名字，每个一个序号，按顺序），或发送 /取消。',
  'pick.nothing': '你没有等待选择的操作。',
  'pick.expired': '你对 /{command, command} 的选择已过期。请重新发送命令。',
  'pick.bad': '请发送 {count} 个序号（{ranges}），而不是"{typed}"。',
  'pick.cancelled': '已取消等待选择的 /{command, command}。',
  'pick.replaced': '你等待选择的 /{command, command} 已取消：这条命令取代了它。',

  'chat.invalid':
    '"{value}" 不是群。请用 chatId（chat…）、#群名、#"带空格的群名" 或 here（已关联的群内）指定。',
  'chat.missing-direct':
    '在单聊中需要指定群：chatId（chat…）、#群名 或 #"带空格的群名"；/我的群 列出你的群。\n用法：{usage}',
  'chat.here-direct':
    '"here" 只能在群聊中使用。请用 chatId 或 #群名 指定群，或先在群里发送 /关联群 <chatId>。',
  'chat.here-unknown': '我还不认识这个群。请先在这里发送 /关联群 <chatId>，或用 chatId、#群名 指定群。',
  'chat.cid-unknown': '我不认识群 {cid}。请先在那个群里发送 /关联群 <chatId>。',
  'chat.name-not-found': '我不知道名为 "{name}" 的群。发送 /我的群 查看我管理的群。',
  'chat.name-ambiguous': '有多个群叫 "{name}"：{candidates}。请用 chatId 指定你要的那个。',

  'auth.role-needed':
    '/{command, command} 需要{needed, select, admin {管理员} lead {负责人} everyone {所有人} other {{needed}}}角色；你是 {user|userId}（角色：{role, select, admin {管理员} lead {负责人} everyone {所有人} other {{role}}}）。可以发送 /我是谁 查看。',
  'auth.option-forbidden':
    '你（{user|userId}，角色：{role, select, admin {管理员} lead {负责人} everyone {所有人} other {{role}}}）不能使用选项 {options}。',
  'auth.not-owner':
    '{user|userId}，你不能修改 {chatName|chat}：它的群主是 {ownerName|owner}。请找 {ownerName|owner} 或机器人管理员；/我的群 列出你可以修改的群。',

  'pipeline.timeout':
    '已超过 {seconds} 秒，我不再等待。钉钉可能仍会完成此操作：请先用 {check} 查看结果，再决定是否重发。',
  'pipeline.internal-error': '我这边出错了。事件编号：{incident}。',
  'pipeline.dingtalk-error':
    '钉钉拒绝了请求：{cause}\n怎么办：{next}{permission, select, - {} other {\n相关权限：{permission}}}\n编号：{ids}',
  'pipeline.store-waiting': '机器人的数据库暂时无法连接；恢复后我会执行你的命令。',
  'pipeline.store-unavailable': '机器人的数据库暂时无法连接，这次没能完成。请稍后再试。',
  'pipeline.interrupted':
    '执行 /{command, command}（群 {chatName|chat}）时我被中断了，不确定钉钉是否已经完成。我不会自动重做。请先用 {check} 查看结果，再决定是否重发。',

  'chat.gone': '群 `{chat}` 已解散；没有执行任何操作。',
  'confirm.ask': '{preview}\n\n请在 {minutes} 分钟内发送 /确认 {code} 继续（或点击链接），或发送 /取消。',
  'confirm.title': '请确认',
  'confirm.link': '确认 {code}',
  'confirm.command': '/确认 {code}',
  'confirm.generic-preview': '你将要执行 /{command, command}。',
  'confirm.need-code': '确认哪一个？请发送 /确认 <确认码>，确认码是下列之一：',
  'confirm.waiting-line': '{code}：/{command, command}',
  'confirm.nothing-waits': '你在这里没有等待确认的操作。',
  'confirm.already-waiting':
    '撤销这次修改的操作已在等待你确认：请发送 /确认 {code}。我没有生成第二个确认码。',
  'confirm.unknown': '没有等待确认码“{code}”的操作：确认码有误或已使用。',
  'confirm.expired': '确认码 {code} 已过期，请重新发送命令。',
  'confirm.wrong-user': '确认码 {code} 属于其他人。',
  'confirm.cancelled': '已取消 /{command, command}（{code}）。',
  'confirm.nothing-to-cancel': '你没有等待确认的操作。',

  'rate.waiting': '钉钉要求我放慢速度；你的命令约 {seconds} 秒后执行。',
  'rate.user': '你发送命令太快了，请等待 {seconds} 秒。',

  'audit.reason.role-needed':
    '需要{needed, select, admin {管理员} lead {负责人} everyone {所有人} other {{needed}}}角色，实际为{role, select, admin {管理员} lead {负责人} everyone {所有人} other {{role}}}',
  'audit.reason.options-forbidden': '不允许该用户使用的选项：{options}',
  'audit.reason.not-owner': '不是群主；群主是 {owner}',
  'audit.reason.pick': '等待在 {words} 匹配到的人中选择',
  'audit.reason.pending': '等待确认 {code}',
  'audit.reason.confirmed': '已用 {code} 确认',
  'audit.reason.cancelled': '用户已取消（{code}）',
  'audit.reason.timeout': '{seconds} 秒内没有结果，结果未知',
  'audit.reason.dingtalk': '钉钉拒绝：{cause}',
  'audit.reason.store': '机器人的数据库无法连接',
  'audit.reason.internal': '内部错误，事件编号 {incident}',
  'audit.reason.interrupted': '机器人停止时被中断；{endpoint} 的结果未知',
  'audit.reason.when': '{option}= 被拒绝（{why}）',
  'audit.reason.scheduled': '已安排为 {job}，时间 {at}',
  'audit.reason.job': '作为定时任务 {job} 执行',

  // 定时修改（at=、until=、定时任务）
  'when.nonsense':
    '{option}= 需要一个时间：时长如 45s、30m、2h、7d，或 {zone} 的日期时间如 2026-12-24 或 "2026-12-24 18:00"。"{value}" 都不是。没有做任何修改或安排。',
  'when.past': '{option}={value} 不在将来（{zone} 现在是 {now}）。没有做任何修改或安排。',
  'when.too-far': '{option}={value} 超过一年之后（最晚 {zone} {max}）。没有做任何修改或安排。',
  'when.until-only':
    'until= 只用于 /拉人 和 /群管理员 添加：只有这些修改我能在之后撤回。没有做任何修改或安排。',
  'when.until-before-at': 'until=（{until}）必须晚于 at=（{at}）。没有做任何修改或安排。',
  'when.no-set':
    '{option}= 每次只能用于一个群，不能用于一组群（{set}）。请逐个群安排，或去掉 {option}= 现在对这组群执行。没有做任何修改或安排。',
  'jobs.on-chat': '，群 {name}（`{chatId}`）',
  'jobs.scheduled':
    '已安排为 **{job}**：{what}{chat}，时间 {at}（{zone}），{in}后。现在还没有任何改动；完成后我会单聊告诉你。/定时任务 列出你的任务；/定时任务 取消 {job} 取消它。',
  'jobs.until-scheduled':
    '**{job}**：我会在 {at}（{zone}），即 {in}后撤回这次修改。/定时任务 取消 {job} 可保留它。',
  'jobs.until-nothing': '没有任何改动，因此之后也无需撤回。',
  'jobs.what.until': '撤回 {what}',
  'jobs.notice.title': '定时任务 {job}',
  'jobs.notice.done': '定时任务 **{job}**（{what}，时间 {due}）已完成：',
  'jobs.notice.dropped': '定时任务 **{job}**（{what}，时间 {due}）已放弃，没有做任何改动：',
  'jobs.notice.failed': '定时任务 **{job}**（{what}，时间 {due}）失败：',
  'jobs.notice.late': '它晚了 {late} 才执行：{due} 时没有机器人在运行。',
  'jobs.preview-at': '将在 {at}（{zone}）执行，而不是现在：确认后才安排。',
  'jobs.preview-until': '将在 {at}（{zone}）撤回。',
  'jobs.unreadable': '我读不出这个任务要做什么，已放弃它。',

  // Sets of chats (issue 21)
  'set.not-here':
    '/{command, command} 只能针对一个群。群集合（tag:<标签>、mine，或用逗号分隔的多个群）适用于 /拉人、/踢人、/群管理员、/群设置 和 /群昵称。',
  'set.bad-tag': '“{tag}”不是有效的标签：只能用字母、数字、- 和 _（最多 32 个），例如 标签:项目。',
  'set.tag-empty':
    '我知道的群里没有带标签 {tag} 的。用 /群标签 <群> {tag} 给群加标签；/我的群 tag:{tag} 列出它们。',
  'set.mine-empty': '你还没有通过我管理的群，所以“我的群”是空的。/我的群 列出你管理的群。',
  'set.too-many': '{set} 有 {count} 个群；一个集合最多 {max} 个。未做任何更改。',
  'batch.more': '（另有 {count} 个）',
  'batch.skip.gone': '已解散',
  'batch.skip.not-yours': '不是你的群',
  'batch.internal': '我这边出了问题',
  'batch.unknown-line': '改动发出时我被停止了，不知道钉钉是否已完成；我没有重发。',
  'batch.done-before': '在我停止之前已完成',
  'batch.done-before-no-undo': '在我停止之前已完成，但我没来得及记下撤销信息：/撤销 不会改动这个群',
  'batch.preview.head': '在 {set} 上执行 /{command, command}：共 {count} 个群，{changing} 个需要改动。',
  'batch.preview.unreadable': '暂时读取不到（确认时会再试）：',
  'batch.preview.skipped': '跳过：',
  'batch.nothing': '集合里的群都无需改动；未做任何更改。',
  'batch.started':
    '正在处理 {set} 的 {count} 个群：在钉钉的频率限制内约需 {seconds} 秒。完成后发送结果清单。',
  'batch.ledger.head':
    '在 {set} 上执行 /{command, command}：共 {count} 个群，{done} 个完成，{skipped} 个跳过，{failed} 个失败{unknown, plural, =0 {} other {，# 个结果未知}}。',
  'batch.ledger.failed': '失败（其他群继续执行）：',
  'batch.ledger.retry': '只重试这个群：{command}',
  'batch.ledger.unknown': '结果未知：',
  'batch.ledger.check': '查看：{command}',
  'batch.ledger.done': '完成：',
  'batch.ledger.skipped': '跳过：',
  'batch.ledger.undo': '/撤销 会撤回整批改动。',
  'audit.reason.batch': '批次 {batch}：{done} 个完成，{skipped} 个跳过，{failed} 个失败',
  'audit.reason.batch-chat':
    '批次 {batch} 中的一个群：{state, select, done {完成} failed {失败} unknown {结果未知} other {{state}}}',
  'locale.code': 'zh-CN',

  'word.on': '开',
  'word.off': '关',
  'word.everyone': '所有人',
  'word.owner': '仅群主',
  'word.none': '（无）',
  'role.everyone': '所有人',
  'role.lead': '负责人',
  'role.admin': '管理员',
  'conversation.direct': '单聊',
  'conversation.group': '群聊',
  'settings.searchable': '可搜索 searchable',
  'settings.validation': '入群验证 validation',
  'settings.mention-all': '@所有人 mention-all',
  'settings.management': '群管理 management',
  'settings.mute': '全员禁言 mute',
  'settings.history': '新成员可看历史 history',
};

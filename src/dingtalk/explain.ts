/**
 * Turns a DingTalk failure into words a team lead can act on, in English and Chinese: what
 * happened, which permission point to request (when that is the fix), what to do next, and the
 * ids to quote to an admin. Covers every code dingtalk-api.md §1-§5 lists for the endpoints the
 * bot uses; anything else gets a generic text that still carries the ids.
 */
import { ENDPOINTS } from './endpoints.ts';
import {
  DingTalkApiError,
  DingTalkAuthError,
  DingTalkError,
  DingTalkHttpError,
  DingTalkPartialCreateError,
  DingTalkRateLimitedError,
  type EndpointName,
} from './errors.ts';

export type ExplainLocale = 'en' | 'zh-CN';

export interface Explanation {
  cause: string;
  /** The permission point to request in the developer console, when that is the fix. */
  permission?: string;
  next: string;
  /** errcode/code, requestId and endpoint, for an admin or DingTalk support. */
  ids: string;
}

/** The permission point behind each endpoint (dingtalk-api.md §2-§4, contact-api.md §1-§5). */
export const ENDPOINT_PERMISSION: Partial<Record<EndpointName, string>> = Object.fromEntries(
  Object.entries(ENDPOINTS).flatMap(([name, f]) =>
    f.permission === undefined ? [] : [[name, f.permission]],
  ),
);

/** Endpoints that only look people up: without them, typed userIds and @-picks still work. */
const CONTACT_ENDPOINTS: ReadonlySet<EndpointName> = new Set([
  'contact.users.search',
  'contact.departments.search',
  'user.get',
  'user.getbymobile',
  'user.listsimple',
  'department.get',
]);
const CONTACT_FALLBACK: Text = [
  'Until then, name people by their userId or pick them with @.',
  '在此之前，请用 userId 或 @ 选人来指定成员。',
];

type Text = readonly [en: string, zh: string];
interface Entry {
  cause: Text;
  next: Text;
  /** 'endpoint' = the permission of the endpoint that failed. */
  permission?: 'endpoint' | string;
}

const RETRY: Text = ['Try again in a minute.', '请稍后再试。'];
const CHECK_USERS: Text = [
  'Check the userIds (they are org userIds, not nicknames) and try again.',
  '请检查 userId（是企业内的 userId，不是昵称）后重试。',
];
const CHECK_CHAT: Text = [
  'Check the chat id: only chats created through the server API (or linked with /chat link) work.',
  '请检查群 id：只有通过服务端接口创建（或用 /chat link 关联）的群可以操作。',
];
const ASK_PERMISSION: Text = [
  'Ask an org admin to grant the app this permission in the DingTalk developer console, then retry.',
  '请企业管理员在钉钉开发者后台为应用开通此权限后重试。',
];
const THROTTLED: Text = [
  'DingTalk is throttling the bot. Wait a few seconds and try again.',
  '钉钉正在限流，请稍等几秒后重试。',
];
const CHECK_PERSON: Text = [
  'Check the name, userId or mobile; only current members of the organisation are found.',
  '请检查姓名、userId 或手机号；只能找到企业的在职成员。',
];
const CONTACT_RANGE: Text = [
  "Ask an org admin to widen the app's contact range (权限管理 > 通讯录权限 > 授权范围) and visible range, or name people by userId.",
  '请企业管理员扩大应用的通讯录授权范围（权限管理 > 通讯录权限 > 授权范围）和可使用范围，或直接使用 userId。',
];
const ADMIN_CONFIG: Text = [
  'The bot operator must fix the app configuration; tell an admin.',
  '需要机器人运维人员修正应用配置，请联系管理员。',
];

function e(cause: Text, next: Text, permission?: 'endpoint' | string): Entry {
  return permission === undefined ? { cause, next } : { cause, next, permission };
}

/**
 * Known codes. Keys: `errcode:<n>` for legacy numeric codes, `code:<text>` for new-API codes
 * (and the client's own codes), `prefix:<text>` for families such as `miss.param.*`.
 */
export const EXPLANATIONS: Readonly<Record<string, Entry>> = {
  // --- tokens and credentials (§1)
  'errcode:40014': e(['The access token was not accepted.', 'access_token 不合法。'], RETRY),
  'errcode:42001': e(['The access token expired.', 'access_token 已过期。'], RETRY),
  'errcode:40001': e(['The access token is invalid.', 'access_token 无效。'], RETRY),
  'errcode:41001': e(['The access token is missing.', '缺少 access_token。'], ADMIN_CONFIG),
  'errcode:40096': e(
    ['DingTalk refused the app key or secret.', '应用的 appKey 或 appSecret 不正确。'],
    ADMIN_CONFIG,
  ),
  'errcode:40089': e(
    ['DingTalk refused the corpId or secret.', 'corpId 或 corpSecret 不正确。'],
    ADMIN_CONFIG,
  ),
  'errcode:88': e(['DingTalk rejected the call at its gateway.', '钉钉网关拒绝了此调用。'], RETRY),
  'errcode:15': e(['DingTalk timed out inside its gateway.', '钉钉网关内部超时。'], RETRY),
  'errcode:22': e(['DingTalk does not know this API name.', '钉钉不认识此接口名称。'], ADMIN_CONFIG),
  'code:InvalidAuthentication': e(
    ['The access token was not accepted.', 'access_token 不合法或已过期。'],
    RETRY,
  ),
  'code:AuthenticationFailed.MissingParameter': e(
    ['The access token header was missing.', '请求缺少 x-acs-dingtalk-access-token。'],
    ADMIN_CONFIG,
  ),
  'code:invalidClientIdOrSecret': e(
    ['DingTalk refused the app client id or secret.', '应用的 clientId 或 clientSecret 无效。'],
    [
      'An admin must check DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET.',
      '请管理员检查 DINGTALK_CLIENT_ID 和 DINGTALK_CLIENT_SECRET。',
    ],
  ),
  // --- permissions (§2, §5)
  'errcode:43007': e(
    ['The app is not authorised for this API.', '应用没有此接口的授权。'],
    ASK_PERMISSION,
    'endpoint',
  ),
  'errcode:60011': e(
    ['The app lacks the permission for this API.', '应用缺少此接口的权限。'],
    ASK_PERMISSION,
    'endpoint',
  ),
  'errcode:60020': e(
    ["The bot's server IP is not on the app's allow-list.", '机器人服务器的 IP 不在应用的白名单中。'],
    [
      "An admin must add the server's egress IP to the app's allow-list.",
      '请管理员把服务器出口 IP 加入应用的白名单。',
    ],
  ),
  'code:Forbidden.AccessDenied.AccessTokenPermissionDenied': e(
    ['The app lacks the permission for this API.', '应用缺少此接口的权限。'],
    ASK_PERMISSION,
    'endpoint',
  ),
  'code:Forbidden.AccessDenied.IpNotInWhiteList': e(
    ["The bot's server IP is not on the app's allow-list.", '机器人服务器的 IP 不在应用的白名单中。'],
    [
      "An admin must add the server's egress IP to the app's allow-list.",
      '请管理员把服务器出口 IP 加入应用的白名单。',
    ],
  ),
  'code:permession.checkFailed': e(
    [
      "DingTalk's permission check failed (often: the chat owner is outside the app's visible range).",
      '权限校验失败（常见原因：群主不在应用的可见范围内）。',
    ],
    [
      "Ask an admin to add the owner to the app's visible range, or pick another owner.",
      '请管理员把群主加入应用可见范围，或换一个群主。',
    ],
    'endpoint',
  ),
  // --- chat create / update / get (§2.1-§2.3)
  'errcode:43009': e(['The request body was not JSON.', '请求体不是 JSON。'], ADMIN_CONFIG),
  'errcode:71010': e(['DingTalk could not parse the request.', '钉钉无法解析请求 JSON。'], ADMIN_CONFIG),
  'errcode:40031': e(['One of the userIds is not valid.', '用户 id 列表中有无效的 userId。'], CHECK_USERS),
  'errcode:40035': e(
    ['A required value was empty (e.g. the group name).', '缺少必填参数（例如群名称为空）。'],
    ['Give a group name of 1-20 characters.', '请提供 1-20 个字符的群名称。'],
  ),
  'errcode:400002': e(
    ['A value was too long or invalid.', '参数过长或不合法。'],
    [
      'Shorten the name (max 20 characters) or the nickname and retry.',
      '请缩短群名称（最多 20 个字符）或昵称后重试。',
    ],
  ),
  'errcode:49013': e(['The group owner was empty.', '群主为空。'], ['Name an owner.', '请指定群主。']),
  'errcode:49010': e(
    ['The member list was empty.', '群成员列表为空。'],
    ['Name at least one member.', '请至少指定一名成员。'],
  ),
  'errcode:49011': e(
    ['Too many members in one call, or the group is full (1000).', '单次成员过多，或群已满（1000 人）。'],
    ['Add fewer members; a group holds at most 1000.', '请减少成员数量；一个群最多 1000 人。'],
  ),
  'errcode:1002': e(
    [
      'The organisation reached its limit of groups created through the API.',
      '企业通过接口建群的数量已达上限。',
    ],
    [
      'Dissolve unused groups or ask DingTalk support to raise the limit.',
      '请解散不用的群，或联系钉钉客服提高上限。',
    ],
  ),
  'errcode:-1': e(['DingTalk is busy.', '钉钉系统繁忙。'], RETRY),
  'errcode:49000': e(['The chat id was missing.', '缺少群 id。'], CHECK_CHAT),
  'errcode:70001': e(['The organisation was not found.', '企业不存在。'], ADMIN_CONFIG),
  'errcode:40016': e(
    ['The chat id is not valid for this organisation.', '群 id 不合法（可能不属于本企业）。'],
    CHECK_CHAT,
  ),
  'errcode:49015': e(
    ['The group name is not valid.', '群名称不合法。'],
    ['Use a name of 1-20 characters.', '请使用 1-20 个字符的群名称。'],
  ),
  'errcode:49009': e(
    ['Enterprise groups cannot add or remove external contacts.', '企业群不能添加或移除外部联系人。'],
    ['Only add members of the organisation.', '请只添加本企业成员。'],
  ),
  'errcode:49004': e(
    ['The same user was both added and removed.', '同一用户同时出现在添加和移除列表中。'],
    ['Add and remove in separate commands.', '请分开执行添加和移除。'],
  ),
  'errcode:49023': e(
    ['The same external contact was both added and removed.', '同一外部联系人同时出现在添加和移除列表中。'],
    ['Add and remove in separate commands.', '请分开执行添加和移除。'],
  ),
  // --- admins, private chat, nick, qr (§2.4-§2.7)
  'errcode:49026': e(
    ['The group has too many admins.', '群管理员数量已达上限。'],
    ['Remove an admin first, then retry.', '请先移除一位管理员后重试。'],
  ),
  'errcode:400001': e(['DingTalk had an internal error.', '钉钉系统错误。'], RETRY),
  'errcode:34001': e(['The chat id is not valid.', '群 id 不合法。'], CHECK_CHAT),
  'errcode:40036': e(['A required parameter was empty.', '必填参数为空。'], ADMIN_CONFIG),
  'errcode:40003': e(['The userId is not valid.', 'userId 不合法。'], CHECK_USERS),
  'errcode:41049': e(
    ['The nickname contains forbidden content.', '群昵称包含违禁内容。'],
    ['Choose another nickname.', '请换一个群昵称。'],
  ),
  'errcode:60124': e(
    ['The user is not a member of the group.', '该用户不在群内。'],
    ['Add the user to the group first, or pick a member.', '请先把该用户拉进群，或选择一位群成员。'],
  ),
  // --- v1 chat endpoints (§3)
  'code:invalideChatId': e(['The chat id is not valid.', '群 id 不合法。'], CHECK_CHAT),
  'code:invalidParameter.openConversationId.invalid': e(
    ['The openConversationId is not valid.', 'openConversationId 不合法。'],
    CHECK_CHAT,
  ),
  'code:invalidParameter.orgId.invalid': e(
    ['The organisation id is not valid.', '企业 id 不合法。'],
    ADMIN_CONFIG,
  ),
  'code:invalid.staffid': e(['One of the userIds is not valid.', '有无效的 userId。'], CHECK_USERS),
  'code:staff.not.found': e(
    ['A user was not found in the organisation.', '企业内找不到该用户。'],
    CHECK_USERS,
  ),
  'code:subadmin.exceed': e(
    ['The group has too many admins.', '群管理员数量已达上限。'],
    ['Remove an admin first, then retry.', '请先移除一位管理员后重试。'],
  ),
  'code:invalidParamter.role': e(
    ['The admin role value was rejected.', '管理员角色参数不合法。'],
    ADMIN_CONFIG,
  ),
  'code:group.diaband': e(
    ['The group has been dissolved.', '该群已解散。'],
    ['Remove it from the registry or pick another chat.', '请从登记中移除，或选择其他群。'],
  ),
  'code:parameter.invalid': e(
    [
      'DingTalk rejected a parameter (name length, members, owner).',
      '参数不合法（群名称长度、成员或群主）。',
    ],
    [
      'Check the name (1-20 characters), the members and that the owner is a member.',
      '请检查群名称（1-20 个字符）、成员，以及群主是否在成员中。',
    ],
  ),
  // --- throttling (§5)
  'errcode:90018': e(['Too many calls per second to this API.', '此接口每秒调用次数超限。'], THROTTLED),
  'errcode:90002': e(
    ['DingTalk temporarily blocked all calls to this API.', '钉钉暂时禁用了此接口的所有调用。'],
    THROTTLED,
  ),
  'errcode:90020': e(
    ["The organisation used up this month's API call quota.", '企业本月的接口调用额度已用完。'],
    [
      'Wait for next month or ask an admin to upgrade the DingTalk edition.',
      '请等到下月，或请管理员升级钉钉版本。',
    ],
  ),
  'code:Forbidden.AccessDenied.QpsLimitForAppkeyAndApi': e(
    ['Too many calls per second to this API.', '此接口每秒调用次数超限。'],
    THROTTLED,
  ),
  'code:Forbidden.AccessDenied.QpsLimitForApi': e(
    ['DingTalk temporarily limited all calls to this API.', '钉钉暂时限制了此接口的调用。'],
    THROTTLED,
  ),
  'code:Forbidden.AccessDenied.QpmLimitForAppkeyAndApi': e(
    ['Too many calls per minute to this API.', '此接口每分钟调用次数超限。'],
    THROTTLED,
  ),
  'code:Forbidden.AccessDenied.ApiCountLimitForOrg': e(
    ["The organisation used up this month's API call quota.", '企业本月的接口调用额度已用完。'],
    [
      'Wait for next month or ask an admin to upgrade the DingTalk edition.',
      '请等到下月，或请管理员升级钉钉版本。',
    ],
  ),
  'code:system.busy': e(['DingTalk is busy.', '钉钉系统繁忙。'], RETRY),
  'code:systemBusy': e(['DingTalk is busy.', '钉钉系统繁忙。'], RETRY),
  'code:system.error': e(['DingTalk had an internal error.', '钉钉系统错误。'], RETRY),
  'code:unknownError': e(['DingTalk had an unknown error.', '钉钉出现未知错误。'], RETRY),
  'code:operationTimeout': e(['DingTalk timed out.', '钉钉处理超时。'], RETRY),
  'code:service.timeout': e(['DingTalk timed out.', '钉钉处理超时。'], RETRY),
  'code:ip-throttled': e(
    [
      "DingTalk blocked the bot's server IP for a few minutes (too many calls).",
      '调用过多，钉钉暂时封禁了服务器 IP。',
    ],
    ['Wait about 5 minutes, then try again.', '请等待约 5 分钟后再试。'],
  ),
  // --- replies and robot sends (§4)
  'errcode:300001': e(
    ['The reply session of that message has expired.', '该消息的回复会话已过期。'],
    ['Send the command again.', '请重新发送命令。'],
  ),
  'errcode:300005': e(['The robot token does not exist.', '机器人 token 不存在。'], ADMIN_CONFIG),
  'errcode:43004': e(['The reply had a wrong content type.', '回复的 Content-Type 不正确。'], ADMIN_CONFIG),
  'errcode:400013': e(
    ['The group has been dissolved.', '该群已解散。'],
    ['Pick another chat.', '请选择其他群。'],
  ),
  'errcode:400101': e(['The robot token was not found.', '找不到机器人 token。'], ADMIN_CONFIG),
  'errcode:400102': e(['The robot is disabled.', '机器人已停用。'], ADMIN_CONFIG),
  'errcode:400105': e(['The message type is not supported.', '不支持该消息类型。'], ADMIN_CONFIG),
  'errcode:400106': e(['The robot does not exist.', '机器人不存在。'], ADMIN_CONFIG),
  'errcode:410100': e(['The robot is sending too fast.', '机器人发送过快。'], THROTTLED),
  'errcode:660026': e(
    ['The robot sent too many messages this minute.', '机器人每分钟发送消息过多。'],
    THROTTLED,
  ),
  'errcode:430101': e(['The message contains an unsafe link.', '消息含有不安全的链接。'], ADMIN_CONFIG),
  'errcode:430102': e(['The message contains unsafe text.', '消息含有不安全的文本。'], ADMIN_CONFIG),
  'errcode:430103': e(['The message contains an unsafe image.', '消息含有不安全的图片。'], ADMIN_CONFIG),
  'errcode:430104': e(['The message contains unsafe content.', '消息含有不安全的内容。'], ADMIN_CONFIG),
  'errcode:310000': e(
    ['The robot keyword/signature/IP check failed.', '机器人关键词、签名或 IP 校验失败。'],
    ADMIN_CONFIG,
  ),
  'code:send.too.fast': e(['The robot is sending too fast.', '机器人发送过快。'], THROTTLED),
  'code:send.byToken.tooFast': e(['The robot is sending too fast.', '机器人发送过快。'], THROTTLED),
  'code:too.many.people': e(['Too many recipients at once.', '一次发送的人数过多。'], THROTTLED),
  'code:too.many.group': e(['Too many groups at once.', '一次发送的群过多。'], THROTTLED),
  'code:chatbotId.notAllow.sendOTO': e(
    ['This robot may not send 1:1 messages.', '该机器人不允许发送单聊消息。'],
    ADMIN_CONFIG,
  ),
  'code:robot.oto.notExist': e(
    ['The robot has no 1:1 chat with this user.', '机器人与该用户没有单聊会话。'],
    ADMIN_CONFIG,
  ),
  'code:invalidParameter.token.invalid': e(
    ['The access token was not accepted.', 'access_token 不合法。'],
    RETRY,
  ),
  'code:invalid.openConversationId': e(['The group id is not valid.', '群会话 id 不合法。'], CHECK_CHAT),
  'code:miss.openConversationId': e(['The group id was missing.', '缺少群会话 id。'], ADMIN_CONFIG),
  'code:group.disbanded': e(
    ['The group has been dissolved.', '该群已解散。'],
    ['Pick another chat.', '请选择其他群。'],
  ),
  'code:bot.stopped': e(['The robot is stopped.', '机器人已停用。'], ADMIN_CONFIG),
  'code:only.groupAdmin.canAtAll': e(
    ['Only group admins may @all.', '只有群管理员可以 @所有人。'],
    ['Send without @all.', '请不要 @所有人。'],
  ),
  'code:conversation.org.notMatch': e(
    ['The group belongs to another organisation.', '该群属于其他企业。'],
    CHECK_CHAT,
  ),
  'code:resource.not.found': e(['DingTalk could not find the target.', '钉钉找不到目标资源。'], CHECK_CHAT),
  'code:unauthorized': e(
    ['The robot is not authorised here.', '机器人在此没有授权。'],
    ASK_PERMISSION,
    'endpoint',
  ),
  'code:auth.error': e(
    ['The robot is not authorised here.', '机器人在此没有授权。'],
    ASK_PERMISSION,
    'endpoint',
  ),
  'code:resource.unavailable': e(['The target is not available now.', '目标资源暂不可用。'], RETRY),
  'code:send.ding.exception': e(['DingTalk failed to deliver the message.', '钉钉发送消息失败。'], RETRY),
  'prefix:invalidParameter.robotCode.': e(
    ['The robot code is not valid.', '机器人编码不合法。'],
    ADMIN_CONFIG,
  ),
  'prefix:invalidParameter.userIds.': e(
    ['The recipient list was empty or too long.', '接收人列表为空或过长。'],
    CHECK_USERS,
  ),
  'prefix:invalidParameter.msgKey.': e(
    ['The message type key was not valid.', '消息类型 msgKey 不合法。'],
    ADMIN_CONFIG,
  ),
  'prefix:invalidParameter.msgParam.': e(
    ['The message content was not valid or too long.', '消息内容不合法或过长。'],
    ADMIN_CONFIG,
  ),
  'prefix:miss.param.': e(['The message lacked a required field.', '消息缺少必填字段。'], ADMIN_CONFIG),
  'prefix:contain.notAllowed.': e(
    ['The message contains content that is not allowed.', '消息包含不允许的内容。'],
    ['Rephrase the message.', '请修改消息内容。'],
  ),
  // --- contact directory (contact-api.md §1-§5, §8)
  'errcode:60121': e(['DingTalk found no such user.', '找不到该用户。'], CHECK_PERSON),
  'errcode:33012': e(['The userId is not valid.', '无效的 userId。'], CHECK_PERSON),
  'errcode:60111': e(['The userId does not exist.', '该 userId 不存在。'], CHECK_PERSON),
  'errcode:40104': e(
    ['No member of the organisation has that mobile number.', '企业中没有使用该手机号的成员。'],
    [
      'Check the number (11 digits for a mainland mobile); departed staff cannot be found by mobile.',
      '请检查手机号（大陆手机号为 11 位）；已离职的员工无法通过手机号查到。',
    ],
  ),
  'errcode:50002': e(
    ["The user is outside the app's contact range.", '该员工不在应用的通讯录授权范围内。'],
    CONTACT_RANGE,
  ),
  'errcode:50004': e(
    ["The department is outside the app's contact range.", '该部门不在应用的通讯录授权范围内。'],
    CONTACT_RANGE,
  ),
  'errcode:60003': e(
    ['DingTalk found no such department.', '找不到对应的部门。'],
    ['Check the department name or id.', '请检查部门名称或 id。'],
  ),
  'errcode:40068': e(['The page cursor was rejected.', '分页游标不合法。'], ADMIN_CONFIG),
  'errcode:40069': e(['The page size was rejected.', '分页大小不合法。'], ADMIN_CONFIG),
  'errcode:60019': e(
    ['DingTalk could not list the members of that department.', '未能从部门中获取用户。'],
    RETRY,
  ),
  'code:parameter.error': e(
    ['DingTalk rejected the search parameters.', '搜索参数错误。'],
    [
      'Shorten the name and try again; tell an admin if it keeps failing.',
      '请缩短名称后重试；如仍失败请联系管理员。',
    ],
  ),
  // --- the client's own codes
  'code:malformed-response': e(
    ['DingTalk answered with a body the bot did not expect.', '钉钉返回了机器人无法识别的内容。'],
    [
      'Check in DingTalk whether the change happened before retrying; report the ids to an admin.',
      '重试前请先在钉钉中确认操作是否已生效；并把下列 id 告诉管理员。',
    ],
  ),
  'code:non-json-response': e(
    [
      'DingTalk answered with a page instead of data (maybe an IP block).',
      '钉钉返回了网页而不是数据（可能是 IP 被限流）。',
    ],
    ['Wait a few minutes, then try again.', '请等待几分钟后再试。'],
  ),
  'code:success-false': e(['DingTalk reported that the change failed.', '钉钉报告操作未成功。'], RETRY),
};

const GENERIC: Entry = e(
  ['DingTalk refused the request.', '钉钉拒绝了该请求。'],
  [
    'Try again later; if it keeps failing, give these ids to an admin.',
    '请稍后再试；如仍失败，请把下列 id 提供给管理员。',
  ],
);

const L = (t: Text, locale: ExplainLocale): string => (locale === 'zh-CN' ? t[1] : t[0]);

/** The table entry for an API error, or undefined when the code is unknown. */
export function lookupEntry(err: DingTalkApiError): Entry | undefined {
  if (err.errcode !== undefined) {
    // topapi answers a bad token as 88 + sub_code 40014
    if (err.errcode === 88 && err.subCode) {
      const sub = EXPLANATIONS[`errcode:${err.subCode}`];
      if (sub) return sub;
    }
    const hit = EXPLANATIONS[`errcode:${err.errcode}`];
    if (hit) return hit;
  }
  if (err.code !== undefined) {
    const hit = EXPLANATIONS[`code:${err.code}`];
    if (hit) return hit;
    for (const [k, v] of Object.entries(EXPLANATIONS)) {
      if (k.startsWith('prefix:') && err.code.startsWith(k.slice(7))) return v;
    }
  }
  return undefined;
}

function idsOf(parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}

function render(
  entry: Entry,
  locale: ExplainLocale,
  endpoint: EndpointName | undefined,
  ids: string,
): Explanation {
  const out: Explanation = { cause: L(entry.cause, locale), next: L(entry.next, locale), ids };
  const perm =
    entry.permission === 'endpoint'
      ? endpoint
        ? ENDPOINT_PERMISSION[endpoint]
        : undefined
      : entry.permission;
  if (perm !== undefined) out.permission = perm;
  if (entry.permission === 'endpoint' && endpoint !== undefined && CONTACT_ENDPOINTS.has(endpoint)) {
    out.next = `${out.next} ${L(CONTACT_FALLBACK, locale)}`;
  }
  return out;
}

/** Explains any thrown value; DingTalk errors get specific text, anything else a generic one. */
export function explainDingTalkError(err: unknown, locale: ExplainLocale): Explanation {
  if (err instanceof DingTalkPartialCreateError) {
    const inner = err.cause instanceof DingTalkError ? explainDingTalkError(err.cause, locale) : undefined;
    return {
      cause:
        locale === 'zh-CN'
          ? `群已创建（${err.created.chatId}），但有 ${err.pending.length} 人未能拉入。${inner?.cause ?? ''}`
          : `The chat was created (${err.created.chatId}) but ${err.pending.length} member(s) were not added. ${inner?.cause ?? ''}`.trim(),
      ...(inner?.permission !== undefined ? { permission: inner.permission } : {}),
      next:
        locale === 'zh-CN' ? '请用 /chat add 补拉剩余成员。' : 'Add the remaining members with /chat add.',
      ids: inner?.ids ?? idsOf([`endpoint ${err.endpoint}`]),
    };
  }
  if (err instanceof DingTalkApiError) {
    const id =
      err.errcode !== undefined ? `errcode ${err.errcode}${err.subCode ? `/${err.subCode}` : ''}` : err.code;
    const ids = idsOf([
      id,
      err.requestId ? `requestId ${err.requestId}` : undefined,
      `endpoint ${err.endpoint}`,
    ]);
    const entry = lookupEntry(err) ?? GENERIC;
    const out = render(entry, locale, err.endpoint, ids);
    if (err.mayHaveTakenEffect) {
      out.next =
        locale === 'zh-CN'
          ? `操作可能已经生效，请先在钉钉中确认再重试。${out.next}`
          : `The change may have happened anyway: check in DingTalk before retrying. ${out.next}`;
    }
    return out;
  }
  if (err instanceof DingTalkRateLimitedError) {
    const base = err.last
      ? (lookupEntry(err.last) ?? EXPLANATIONS['errcode:90018'])
      : EXPLANATIONS['errcode:90018'];
    const last = err.last;
    const id = last ? (last.errcode !== undefined ? `errcode ${last.errcode}` : last.code) : 'rate-limited';
    const secs = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
    return {
      ...render(
        base as Entry,
        locale,
        err.endpoint,
        idsOf([id, last?.requestId ? `requestId ${last.requestId}` : undefined, `endpoint ${err.endpoint}`]),
      ),
      next:
        locale === 'zh-CN'
          ? `钉钉正在限流，请约 ${secs} 秒后重试。`
          : `DingTalk is throttling the bot; try again in about ${secs} s.`,
    };
  }
  if (err instanceof DingTalkAuthError) {
    const entry = EXPLANATIONS['code:invalidClientIdOrSecret'] as Entry;
    return render(
      entry,
      locale,
      err.endpoint,
      idsOf([err.code, err.requestId ? `requestId ${err.requestId}` : undefined, `endpoint ${err.endpoint}`]),
    );
  }
  if (err instanceof DingTalkHttpError) {
    const ids = idsOf([err.reason, `endpoint ${err.endpoint}`]);
    if (err.mayHaveReached) {
      return {
        cause:
          locale === 'zh-CN' ? '与钉钉的连接中断或超时。' : 'The connection to DingTalk failed or timed out.',
        next:
          locale === 'zh-CN'
            ? '请求可能已到达钉钉：请先在钉钉中确认操作是否已生效，再决定是否重试。'
            : 'The request may have reached DingTalk: check whether the change happened before retrying.',
        ids,
      };
    }
    return {
      cause: locale === 'zh-CN' ? '无法连接到钉钉。' : 'The bot could not reach DingTalk.',
      next: locale === 'zh-CN' ? '操作没有执行，请稍后重试。' : 'Nothing was changed; try again in a minute.',
      ids,
    };
  }
  const endpoint = err instanceof DingTalkError ? err.endpoint : undefined;
  return render(GENERIC, locale, endpoint, idsOf([endpoint ? `endpoint ${endpoint}` : undefined]));
}

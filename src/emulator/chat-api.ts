/**
 * Group-chat endpoints: legacy oapi (dingtalk-api.md §2) and v1 (§3). Both families share one
 * validator per operation; only the error envelope differs.
 */
import { CHAT_CAPACITY, type Chat, type ChatSettings, type Org } from './org.ts';
import {
  asBool,
  asInt,
  asObject,
  asString,
  asStringList,
  type Ctx,
  legacyErr,
  legacyOk,
  type Reply,
  type Route,
  v1Err,
} from './server.ts';

/** Users per create/update call (dingtalk-api.md §2.1, §2.3). */
export const MAX_USERS_PER_CALL = 40;
/** Admins per chat. The real limit is UNCONFIRMED (dingtalk-api.md §2.4 names only 49026). */
export const MAX_ADMINS = 50;
const FLAGS = [
  'searchable',
  'validationType',
  'mentionAllAuthority',
  'managementType',
  'chatBannedType',
  'showHistoryType',
] as const satisfies readonly (keyof ChatSettings)[];

type Problem =
  | 'nameMissing'
  | 'nameTooLong'
  | 'nameInvalid'
  | 'ownerMissing'
  | 'ownerUnknown'
  | 'ownerNotMember'
  | 'membersMissing'
  | 'tooMany'
  | 'badUser'
  | 'badFlag'
  | 'chatidMissing'
  | 'chatInvalid'
  | 'overlap'
  | 'removeOwner';

interface Fail {
  problem: Problem;
  message: string;
}
const fail = (problem: Problem, message: string): Fail => ({ problem, message });

export interface ChatDeps {
  org: Org;
  /** whether chats created through the APIs contain the bot */
  botJoinsCreatedChats: boolean;
}

/** Name: 1 to 20 characters (dingtalk-api.md §2.1). Counted in code points. */
function nameLength(name: string): number {
  return [...name].length;
}

function readFlags(src: Record<string, unknown> | undefined): Partial<ChatSettings> | Fail {
  const out: Partial<ChatSettings> = {};
  if (!src) return out;
  for (const f of FLAGS) {
    if (src[f] === undefined || src[f] === null) continue;
    const n = asInt(src[f]); // numbers or numeric strings (dingtalk-api.md §0.3)
    if (n !== 0 && n !== 1) return fail('badFlag', `${f} must be 0 or 1`);
    out[f] = n;
  }
  return out;
}

const isFail = (x: unknown): x is Fail => typeof x === 'object' && x !== null && 'problem' in x;

function unknownUsers(org: Org, ids: string[]): string[] {
  return ids.filter((id) => !org.user(id));
}

interface CreateInput {
  name: unknown;
  owner: unknown;
  useridlist: unknown;
  flags: Record<string, unknown> | undefined;
}

function createChat(deps: ChatDeps, input: CreateInput): Chat | Fail {
  const name = asString(input.name);
  if (name === undefined || name === '') return fail('nameMissing', '群名称不能为空');
  if (nameLength(name) > 20) return fail('nameTooLong', '群名称长度超过限制(1~20个字符)');
  const owner = asString(input.owner);
  if (owner === undefined || owner === '') return fail('ownerMissing', '群主不能为空');
  const members = asStringList(input.useridlist);
  if (!members || members.length === 0) return fail('membersMissing', '群成员列表不能为空');
  if (members.length > MAX_USERS_PER_CALL)
    return fail('tooMany', `群成员列表一次最多${MAX_USERS_PER_CALL}人`);
  if (!deps.org.user(owner)) return fail('ownerUnknown', '群主不在应用可见性内');
  const bad = unknownUsers(deps.org, members);
  if (bad.length > 0) return fail('badUser', `不合法的userid列表: ${bad.join(',')}`);
  // Owner must be one of useridlist (dingtalk-api.md §2.1); the errcode is not documented.
  if (!members.includes(owner)) return fail('ownerNotMember', '群主必须是群成员');
  const flags = readFlags(input.flags);
  if (isFail(flags)) return flags;
  return deps.org.addChat({
    name,
    owner,
    members,
    createdByApi: true,
    botInChat: deps.botJoinsCreatedChats,
    settings: flags,
  });
}

interface UpdateInput {
  chatid: unknown;
  name: unknown;
  owner: unknown;
  add: unknown;
  del: unknown;
  flags: Record<string, unknown> | undefined;
  isBan: unknown;
}

/** Only API-created, undissolved chats can be changed (dingtalk-api.md §2.3 "server-created chatid only"). */
function apiChat(org: Org, chatid: string): Chat | undefined {
  const chat = org.chat(chatid);
  return chat?.createdByApi && chat.status === 1 ? chat : undefined;
}

function updateChat(deps: ChatDeps, input: UpdateInput): Fail | undefined {
  const { org } = deps;
  const chatid = asString(input.chatid);
  if (chatid === undefined || chatid === '') return fail('chatidMissing', 'chatid不能为空');
  const chat = apiChat(org, chatid);
  if (!chat) return fail('chatInvalid', '不合法的chatid');
  let name: string | undefined;
  if (input.name !== undefined && input.name !== null) {
    name = asString(input.name);
    if (name === undefined || name === '' || nameLength(name) > 20) {
      return fail('nameInvalid', '群名称不合法(1~20个字符)');
    }
  }
  const add = input.add === undefined || input.add === null ? [] : asStringList(input.add);
  const del = input.del === undefined || input.del === null ? [] : asStringList(input.del);
  if (!add || !del) return fail('badUser', '不合法的userid列表');
  if (add.length > MAX_USERS_PER_CALL) return fail('tooMany', `一次最多添加${MAX_USERS_PER_CALL}人`);
  if (add.some((id) => del.includes(id))) return fail('overlap', '添加成员列表和删除成员列表不能有交集');
  const bad = unknownUsers(org, [...add, ...del]);
  if (bad.length > 0) return fail('badUser', `不合法的userid列表: ${bad.join(',')}`);
  const after = new Set([...chat.members, ...add]);
  for (const id of del) after.delete(id);
  if (after.size > CHAT_CAPACITY) return fail('tooMany', `群成员数超过上限${CHAT_CAPACITY}`);
  let owner: string | undefined;
  if (input.owner !== undefined && input.owner !== null && input.owner !== '') {
    owner = asString(input.owner);
    if (owner === undefined || !org.user(owner)) return fail('badUser', '不合法的群主');
  }
  const newOwner = owner ?? chat.owner;
  // Removing the owner without handing over is refused; the errcode is UNCONFIRMED.
  if (del.includes(newOwner)) return fail('removeOwner', '不能移除群主');
  if (!after.has(newOwner)) return fail('ownerNotMember', '新群主必须是群成员');
  const flags = readFlags(input.flags);
  if (isFail(flags)) return flags;
  let ban: boolean | undefined;
  if (input.isBan !== undefined && input.isBan !== null) {
    ban = asBool(input.isBan); // the doc example sends "true" (dingtalk-api.md §2.3)
    if (ban === undefined) return fail('badFlag', 'isBan must be a boolean');
  }
  // All checks passed: apply.
  for (const id of add) if (!chat.members.includes(id)) chat.members.push(id);
  org.removeMembers(chat, del);
  if (name !== undefined) chat.name = name;
  if (owner !== undefined) {
    chat.owner = owner;
    chat.admins = chat.admins.filter((a) => a !== owner);
  }
  Object.assign(chat.settings, flags);
  if (ban !== undefined) chat.settings.chatBannedType = ban ? 1 : 0;
  return undefined;
}

function legacyCreateCode(p: Problem): number {
  // dingtalk-api.md §2.1 error table
  const codes: Partial<Record<Problem, number>> = {
    nameMissing: 40035,
    nameTooLong: 400002,
    ownerMissing: 49013,
    membersMissing: 49010,
    tooMany: 49011,
    badFlag: 400002,
  };
  return codes[p] ?? 40031;
}

function legacyUpdateCode(p: Problem): number {
  // dingtalk-api.md §2.3 error table
  const codes: Partial<Record<Problem, number>> = {
    chatidMissing: 49000,
    chatInvalid: 40016,
    nameInvalid: 49015,
    tooMany: 49011,
    overlap: 49004,
    badFlag: 71010,
  };
  return codes[p] ?? 40031;
}

function v1GroupFail(f: Fail): Reply {
  // dingtalk-api.md §3.4: 400 parameter.invalid, or permession.checkFailed (sic) for the owner
  return f.problem === 'ownerUnknown'
    ? v1Err(400, 'permession.checkFailed', f.message)
    : v1Err(400, 'parameter.invalid', f.message);
}

/** Legacy endpoints need a JSON object body; topapi also takes form bodies (dingtalk-api.md §0.2). */
function legacyBody(ctx: Ctx): Record<string, unknown> | undefined {
  if (ctx.bodyKind === 'json' || (ctx.family === 'topapi' && ctx.bodyKind === 'form'))
    return asObject(ctx.body);
  return undefined;
}

const notJson = (ctx: Ctx): Reply => legacyErr(ctx.family, 43009, 'post数据需要是json格式');

function chatInfo(chat: Chat): Record<string, unknown> {
  // dingtalk-api.md §2.2: no admins and no openConversationId in chat_info
  return {
    name: chat.name,
    owner: chat.owner,
    useridlist: [...chat.members],
    chatid: chat.chatId,
    icon: chat.icon,
    conversationTag: chat.conversationTag,
    status: chat.status,
    ...chat.settings,
  };
}

export function chatRoutes(deps: ChatDeps): Route[] {
  const { org } = deps;
  return [
    {
      method: 'POST',
      path: '/chat/create',
      endpoint: 'chat.create',
      family: 'legacy',
      auth: true,
      permission: 'legacyGroup',
      handle(ctx) {
        const b = legacyBody(ctx);
        if (!b) return notJson(ctx);
        const r = createChat(deps, { name: b.name, owner: b.owner, useridlist: b.useridlist, flags: b });
        if (isFail(r)) return legacyErr(ctx.family, legacyCreateCode(r.problem), r.message);
        return legacyOk(ctx.family, {
          chatid: r.chatId,
          openConversationId: r.openConversationId,
          conversationTag: r.conversationTag,
        });
      },
    },
    {
      method: 'GET',
      path: '/chat/get',
      endpoint: 'chat.get',
      family: 'legacy',
      auth: true,
      handle(ctx) {
        const id = ctx.query.get('chatid');
        if (!id) return legacyErr(ctx.family, 49000, 'chatid不能为空');
        const chat = org.chat(id);
        // dingtalk-api.md §2.2: only chatids from the server create API work
        if (!chat?.createdByApi) return legacyErr(ctx.family, 40016, '不合法的chatid');
        return legacyOk(ctx.family, { chat_info: chatInfo(chat) });
      },
    },
    {
      method: 'POST',
      path: '/chat/update',
      endpoint: 'chat.update',
      family: 'legacy',
      auth: true,
      permission: 'legacyGroup',
      handle(ctx) {
        const b = legacyBody(ctx);
        if (!b) return notJson(ctx);
        const f = updateChat(deps, {
          chatid: b.chatid,
          name: b.name,
          owner: b.owner,
          add: b.add_useridlist,
          del: b.del_useridlist,
          flags: b,
          isBan: b.isBan,
        });
        return f ? legacyErr(ctx.family, legacyUpdateCode(f.problem), f.message) : legacyOk(ctx.family);
      },
    },
    {
      method: 'POST',
      path: '/topapi/chat/subadmin/update',
      endpoint: 'subadmin.update',
      family: 'topapi',
      auth: true,
      permission: 'legacyGroup',
      handle(ctx) {
        // dingtalk-api.md §2.4
        const b = legacyBody(ctx);
        if (!b) return legacyErr(ctx.family, 400002, '参数错误');
        const chatid = asString(b.chatid);
        const ids = asStringList(b.userids); // comma-separated string
        const role = asInt(b.role);
        if (!chatid || !ids || ids.length === 0)
          return legacyErr(ctx.family, 400002, '参数错误: chatid/userids');
        if (role !== 2 && role !== 3) return legacyErr(ctx.family, 400002, '参数错误: role只能是2或3');
        const chat = apiChat(org, chatid);
        if (!chat) return legacyErr(ctx.family, 40016, '不合法的chatId');
        const bad = ids.filter((id) => !org.user(id) || !chat.members.includes(id));
        if (bad.length > 0) return legacyErr(ctx.family, 40031, `不合法的userid: ${bad.join(',')}`);
        const r = setAdmins(chat, ids, role);
        if (r === 'exceed') return legacyErr(ctx.family, 49026, '群管理员数量超过上限');
        return legacyOk(ctx.family, { success: true });
      },
    },
    {
      method: 'POST',
      path: '/topapi/chat/member/friendswitch/update',
      endpoint: 'friendswitch.update',
      family: 'topapi',
      auth: true,
      handle(ctx) {
        // dingtalk-api.md §2.5
        const b = legacyBody(ctx);
        const chatid = asString(b?.chatid);
        const prohibit = asBool(b?.is_prohibit);
        if (!chatid || prohibit === undefined) return legacyErr(ctx.family, 40036, '必填参数为空');
        const chat = org.chat(chatid);
        if (chat?.status !== 1) return legacyErr(ctx.family, 34001, '无效的会话id');
        chat.privateChatProhibited = prohibit;
        return legacyOk(ctx.family, { success: true });
      },
    },
    {
      method: 'POST',
      path: '/topapi/chat/updategroupnick',
      endpoint: 'updategroupnick',
      family: 'topapi',
      auth: true,
      handle(ctx) {
        // dingtalk-api.md §2.6
        const b = legacyBody(ctx);
        const chatid = asString(b?.chatid);
        const userid = asString(b?.userid);
        const nick = asString(b?.group_nick);
        if (!chatid || !userid || nick === undefined || nick === '') {
          return legacyErr(ctx.family, 400002, '参数错误: chatid/userid/group_nick');
        }
        const chat = org.chat(chatid);
        if (chat?.status !== 1) return legacyErr(ctx.family, 34001, '无效的会话id');
        if (!org.user(userid)) return legacyErr(ctx.family, 40003, '不合法的userid');
        if (!chat.members.includes(userid)) return legacyErr(ctx.family, 60124, '用户不在群中');
        chat.nicks[userid] = nick;
        return legacyOk(ctx.family, { success: true });
      },
    },
    {
      method: 'POST',
      path: '/topapi/chat/qrcode/get',
      endpoint: 'qrcode.get',
      family: 'topapi',
      auth: true,
      handle(ctx) {
        // dingtalk-api.md §2.7: chatid, or openConversationId (SDK "二选一"); userid = the sharer
        const b = legacyBody(ctx);
        const chatid = asString(b?.chatid);
        const cid = asString(b?.openConversationId);
        const userid = asString(b?.userid);
        if ((!chatid && !cid) || !userid) return legacyErr(ctx.family, 400002, '参数错误: chatid/userid');
        const chat = chatid ? org.chat(chatid) : org.chatByCid(cid ?? '');
        if (chat?.status !== 1) return legacyErr(ctx.family, 34001, '无效的会话id');
        if (!org.user(userid)) return legacyErr(ctx.family, 40003, '不合法的userid');
        if (!chat.members.includes(userid)) return legacyErr(ctx.family, 60124, '用户不在群中');
        return legacyOk(ctx.family, { result: org.joinLink(chat, userid), success: true });
      },
    },
    {
      method: 'POST',
      path: /^\/v1\.0\/im\/chat\/([^/]+)\/convertToOpenConversationId$/,
      endpoint: 'im.convertToOpenConversationId',
      family: 'v1',
      auth: true,
      handle(ctx) {
        // dingtalk-api.md §3.1: no body; JSAPI chatids work too, so any known chat
        const chat = org.chat(ctx.params[0] ?? '');
        if (!chat) return v1Err(400, 'invalideChatId', '不合法的chatId'); // sic
        return { status: 200, body: { openConversationId: chat.openConversationId } };
      },
    },
    {
      method: 'POST',
      path: '/v1.0/im/subAdministrators',
      endpoint: 'im.subAdministrators',
      family: 'v1',
      auth: true,
      permission: 'v1Group',
      handle(ctx) {
        // dingtalk-api.md §3.2
        const b = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
        if (!b) return v1Err(400, 'MissingBody', 'body is mandatory');
        const cid = asString(b.openConversationId);
        const chatAny = cid ? org.chatByCid(cid) : undefined;
        if (!chatAny?.createdByApi) {
          return v1Err(400, 'invalidParameter.openConversationId.invalid', 'openConversationId不合法');
        }
        if (chatAny.status !== 1) return v1Err(400, 'group.diaband', '群已解散'); // sic
        const role = asInt(b.role);
        if (role !== 2 && role !== 3) return v1Err(400, 'invalidParamter.role', 'role不合法'); // sic
        const ids = Array.isArray(b.userIds) ? asStringList(b.userIds) : undefined;
        if (!ids || ids.length === 0) return v1Err(400, 'invalid.staffid', 'userIds不合法');
        const unknown = ids.filter((id) => !org.user(id));
        if (unknown.length > 0) return v1Err(400, 'staff.not.found', `员工不存在: ${unknown.join(',')}`);
        const outside = ids.filter((id) => !chatAny.members.includes(id));
        if (outside.length > 0) return v1Err(400, 'invalid.staffid', `用户不在群中: ${outside.join(',')}`);
        if (setAdmins(chatAny, ids, role) === 'exceed')
          return v1Err(400, 'subadmin.exceed', '群管理员数量超过上限');
        return { status: 200, body: { success: 'true' } }; // a STRING (dingtalk-api.md §3.2)
      },
    },
    {
      method: 'POST',
      path: '/v1.0/im/group/create',
      endpoint: 'im.group.create',
      family: 'v1',
      auth: true,
      permission: 'v1Group',
      handle(ctx) {
        // dingtalk-api.md §3.4: settings nested under managementOptions (flat ones are ignored, as the SDK never sends them)
        const b = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
        if (!b) return v1Err(400, 'MissingBody', 'body is mandatory');
        const r = createChat(deps, {
          name: b.name,
          owner: b.owner,
          useridlist: b.useridlist,
          flags: asObject(b.managementOptions),
        });
        if (isFail(r)) return v1GroupFail(r);
        return {
          status: 200,
          body: {
            conversationTag: r.conversationTag,
            openConversationId: r.openConversationId,
            chatid: r.chatId,
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1.0/im/group/update',
      endpoint: 'im.group.update',
      family: 'v1',
      auth: true,
      permission: 'v1Group',
      handle(ctx) {
        // dingtalk-api.md §3.4: legacy casing (chatid, add_useridlist…), managementOptions, no isBan
        const b = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
        if (!b) return v1Err(400, 'MissingBody', 'body is mandatory');
        const f = updateChat(deps, {
          chatid: b.chatid,
          name: b.name,
          owner: b.owner,
          add: b.add_useridlist,
          del: b.del_useridlist,
          flags: asObject(b.managementOptions),
          isBan: undefined,
        });
        return f ? v1GroupFail(f) : { status: 200, body: { success: true } };
      },
    },
  ];
}

/** role 2 adds admins, 3 makes them plain members; the owner is never listed as an admin. */
function setAdmins(chat: Chat, ids: string[], role: 2 | 3): 'ok' | 'exceed' {
  if (role === 3) {
    chat.admins = chat.admins.filter((a) => !ids.includes(a));
    return 'ok';
  }
  const next = [...new Set([...chat.admins, ...ids.filter((id) => id !== chat.owner)])];
  if (next.length > MAX_ADMINS) return 'exceed';
  chat.admins = next;
  return 'ok';
}

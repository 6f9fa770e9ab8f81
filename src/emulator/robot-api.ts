/**
 * Bot replies: the sessionWebhook (dingtalk-api.md §4.1) and the robot OpenAPI sends
 * (§4.2 oToMessages/batchSend, §4.3 groupMessages/send). Every accepted reply is recorded.
 */
import { newProcessQueryKey, newSessionKey } from './ids.ts';
import type { Org } from './org.ts';
import {
  asObject,
  asString,
  type Ctx,
  legacyErr,
  legacyOk,
  type Reply,
  type Route,
  v1Err,
} from './server.ts';
import type { SentReply } from './types.ts';

export interface Session {
  key: string;
  /** the message whose payload carried this session */
  msgId: string;
  conversationId: string;
  conversationType: '1' | '2';
  chatId: string | undefined;
  userId: string;
  expiresAt: number;
}

/** sessionWebhook sessions; a session is gone after its sessionWebhookExpiredTime (dingtalk-api.md §4.1). */
export class Sessions {
  private readonly byKey = new Map<string, Session>();

  create(s: Omit<Session, 'key'>): Session {
    const session = { ...s, key: newSessionKey() };
    this.byKey.set(session.key, session);
    return session;
  }

  live(key: string): Session | undefined {
    const s = this.byKey.get(key);
    return s && s.expiresAt > Date.now() ? s : undefined;
  }

  /** Forgets a session (memory runs drop answered sessions; a later reply to it gets 300001). */
  forget(key: string): void {
    this.byKey.delete(key);
  }

  expireAll(): void {
    const now = Date.now();
    for (const s of this.byKey.values()) s.expiresAt = Math.min(s.expiresAt, now - 1);
  }
}

/** Users per batchSend call (dingtalk-api.md §4.2: 20 per doc, the error text says 100). */
export const MAX_OTO_USERS = 20;
/** msgParam size for groupMessages/send (dingtalk-api.md §4.3). */
export const MAX_MSG_PARAM_BYTES = 15_000;

type Content = Pick<SentReply, 'msgtype' | 'title' | 'text'> & {
  link?: { title: string; url: string };
  links?: { title: string; url: string }[];
};

const str = (v: unknown): v is string => typeof v === 'string';

/** Webhook bodies share the custom-robot schema (dingtalk-api.md §4.1). */
function webhookContent(body: Record<string, unknown>): Content | { errcode: number; errmsg: string } {
  const type = body.msgtype;
  const part = asObject(body[String(type)]);
  const missing = { errcode: 40035, errmsg: `缺少参数 ${String(type)}` };
  switch (type) {
    case 'text':
      return part && str(part.content) ? { msgtype: 'text', title: undefined, text: part.content } : missing;
    case 'markdown':
      return part && str(part.title) && str(part.text)
        ? { msgtype: 'markdown', title: part.title, text: part.text }
        : missing;
    case 'link':
      return part && str(part.title) && str(part.text) && str(part.messageUrl)
        ? {
            msgtype: 'link',
            title: part.title,
            text: part.text,
            link: { title: part.title, url: part.messageUrl },
          }
        : missing;
    case 'actionCard': {
      if (!part || !str(part.title) || !str(part.text)) return missing;
      const links: { title: string; url: string }[] = [];
      if (str(part.singleURL))
        links.push({ title: str(part.singleTitle) ? part.singleTitle : '', url: part.singleURL });
      else if (Array.isArray(part.btns)) {
        for (const b of part.btns) {
          const btn = asObject(b);
          if (!btn || !str(btn.title) || !str(btn.actionURL)) return missing;
          links.push({ title: btn.title, url: btn.actionURL });
        }
      }
      if (links.length === 0) return missing;
      return { msgtype: 'actionCard', title: part.title, text: part.text, link: links[0]!, links };
    }
    case 'feedCard': {
      // {"feedCard":{"links":[{"title","messageURL","picURL"}]}}, no @ (dingtalk-api.md §4.1)
      const items = Array.isArray(part?.links) ? part.links : [];
      const links: { title: string; url: string }[] = [];
      for (const l of items) {
        const item = asObject(l);
        if (!item || !str(item.title) || !str(item.messageURL)) return missing;
        links.push({ title: item.title, url: item.messageURL });
      }
      if (links.length === 0) return missing;
      return { msgtype: 'feedCard', title: links[0]!.title, text: '', link: links[0]!, links };
    }
    default:
      return { errcode: 400105, errmsg: '不支持的消息类型' };
  }
}

/** msgKey/msgParam catalogue (dingtalk-api.md §4.4). Returns a `code` on error. */
function openApiContent(msgKey: string, p: Record<string, unknown>): Content | { code: string } {
  if (msgKey === 'sampleText') {
    return str(p.content)
      ? { msgtype: 'text', title: undefined, text: p.content }
      : { code: 'miss.param.contentOfText' };
  }
  if (msgKey === 'sampleMarkdown') {
    if (!str(p.text)) return { code: 'miss.param.markdownTotext' };
    return { msgtype: 'markdown', title: str(p.title) ? p.title : undefined, text: p.text };
  }
  if (msgKey === 'sampleActionCard') {
    if (!str(p.singleURL)) return { code: 'miss.param.actionCardTosingleUrl' };
    const link = { title: str(p.singleTitle) ? p.singleTitle : '', url: p.singleURL };
    return {
      msgtype: 'actionCard',
      title: str(p.title) ? p.title : undefined,
      text: str(p.text) ? p.text : '',
      link,
      links: [link],
    };
  }
  const multi = /^sampleActionCard([2-6])$/.exec(msgKey);
  if (multi) {
    const links: { title: string; url: string }[] = [];
    for (let i = 1; i <= 5; i += 1) {
      const t = p[`actionTitle${i}`] ?? p[`buttonTitle${i}`];
      const u = p[`actionURL${i}`] ?? p[`buttonUrl${i}`];
      if (str(t) && str(u)) links.push({ title: t, url: u });
    }
    const base = {
      msgtype: 'actionCard',
      title: str(p.title) ? p.title : undefined,
      text: str(p.text) ? p.text : '',
      links,
    };
    return links[0] ? { ...base, link: links[0] } : base;
  }
  if (msgKey === 'sampleLink') {
    const base = {
      msgtype: 'link',
      title: str(p.title) ? p.title : undefined,
      text: str(p.text) ? p.text : '',
    };
    return str(p.messageUrl) ? { ...base, link: { title: base.title ?? '', url: p.messageUrl } } : base;
  }
  if (['sampleImageMsg', 'sampleAudio', 'sampleFile', 'sampleVideo'].includes(msgKey)) {
    return { msgtype: msgKey, title: undefined, text: '' };
  }
  return { code: 'invalidParameter.msgKey.invalid' };
}

export interface RobotDeps {
  org: Org;
  robotCode: string;
  sessions: Sessions;
  replies: SentReply[];
  dmConversationId(userId: string): string;
  /** run-time switches: flow control of 1:1 sends */
  faults?: { otoFlowControlled: number };
}

/** Shared checks of both OpenAPI sends: body, robotCode, msgKey, msgParam (dingtalk-api.md §4.2, §4.3). */
function openApiCommon(
  deps: RobotDeps,
  ctx: Ctx,
  maxParamBytes: number | undefined,
): { body: Record<string, unknown>; content: Content } | Reply {
  const body = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
  if (!body) return v1Err(400, 'MissingBody', 'body is mandatory');
  const robotCode = asString(body.robotCode);
  if (!robotCode) return v1Err(400, 'invalidParameter.robotCode.empty', 'robotCode不能为空');
  if (robotCode !== deps.robotCode)
    return v1Err(400, 'invalidParameter.robotCode.notExsit', 'robotCode不存在'); // sic
  const msgKey = asString(body.msgKey);
  if (!msgKey) return v1Err(400, 'invalidParameter.msgKey.empty', 'msgKey不能为空');
  // msgParam must be a JSON-encoded STRING, not an object (dingtalk-api.md §4.2)
  if (typeof body.msgParam !== 'string')
    return v1Err(400, 'invalidParameter.msgParam.invalid', 'msgParam不合法');
  if (maxParamBytes !== undefined && Buffer.byteLength(body.msgParam) > maxParamBytes) {
    return v1Err(400, 'invalidParameter.msgParam.tooLong', 'msgParam过长');
  }
  let param: Record<string, unknown> | undefined;
  try {
    param = asObject(JSON.parse(body.msgParam));
  } catch {
    param = undefined;
  }
  if (!param) return v1Err(400, 'invalidParameter.msgParam.invalid', 'msgParam不是合法的JSON');
  const content = openApiContent(msgKey, param);
  if ('code' in content) return v1Err(400, content.code, content.code);
  return { body, content };
}

export function robotRoutes(deps: RobotDeps): Route[] {
  const record = (r: Omit<SentReply, 'at'>): void => {
    deps.replies.push({ ...r, at: Date.now() });
  };
  return [
    {
      method: 'POST',
      path: '/robot/sendBySession',
      endpoint: 'robot.sendBySession',
      family: 'webhook',
      handle(ctx) {
        // The URL is the credential; unknown or expired → 300001 (dingtalk-api.md §4.1)
        const session = deps.sessions.live(ctx.query.get('session') ?? '');
        if (!session) return legacyErr('webhook', 300001, 'session 不存在');
        if (!String(ctx.headers['content-type'] ?? '').includes('json')) {
          return legacyErr('webhook', 43004, '无效的HTTP HEADER Content-Type'); // dingtalk-api.md §4.1
        }
        const body = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
        if (!body) return legacyErr('webhook', 40035, '缺少参数 json');
        // {"msgtype":"empty"} = don't reply: accepted, nothing shows in the chat (dingtalk-api.md §4.1)
        if (body.msgtype === 'empty') return legacyOk('webhook');
        const content = webhookContent(body);
        if ('errcode' in content) return legacyErr('webhook', content.errcode, content.errmsg);
        const at = asObject(body.at);
        const atUserIds = Array.isArray(at?.atUserIds) ? at.atUserIds.filter(str) : [];
        record({
          via: 'webhook',
          msgId: session.msgId,
          conversationId: session.conversationId,
          ...content,
          atUserIds,
          ...(at?.isAtAll === true ? { isAtAll: true } : {}),
          body,
        });
        return legacyOk('webhook');
      },
    },
    {
      method: 'POST',
      path: '/v1.0/robot/oToMessages/batchSend',
      endpoint: 'robot.batchSend',
      family: 'v1',
      auth: true,
      handle(ctx) {
        const common = openApiCommon(deps, ctx, undefined);
        if (!('content' in common)) return common;
        const ids = common.body.userIds;
        if (!Array.isArray(ids) || ids.length === 0)
          return v1Err(400, 'invalidParameter.userIds.empty', 'userIds不能为空');
        if (ids.length > MAX_OTO_USERS)
          return v1Err(400, 'invalidParameter.userIds.overMax', 'userIds超过上限');
        const known = ids.filter((id): id is string => str(id) && deps.org.user(id) !== undefined);
        const invalid = ids.filter((id) => !known.includes(id as string)).map(String);
        // Flow control (a switch): those users are listed and get nothing.
        const flowControlled: string[] = [];
        const valid = known.filter((id) => {
          if (deps.faults === undefined || deps.faults.otoFlowControlled <= 0) return true;
          deps.faults.otoFlowControlled--;
          flowControlled.push(id);
          return false;
        });
        if (valid.length > 0) {
          record({
            via: 'oto',
            msgId: undefined,
            conversationId: valid.length === 1 ? deps.dmConversationId(valid[0]!) : '',
            userIds: valid,
            ...common.content,
            atUserIds: [], // no @ through OpenAPI (dingtalk-api.md §4.2)
            body: common.body,
          });
        }
        // Partial failure is reported in lists with HTTP 200 (dingtalk-api.md §4.2)
        return {
          status: 200,
          body: {
            processQueryKey: newProcessQueryKey(),
            invalidStaffIdList: invalid,
            flowControlledStaffIdList: flowControlled,
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1.0/robot/groupMessages/send',
      endpoint: 'robot.groupSend',
      family: 'v1',
      auth: true,
      handle(ctx) {
        const common = openApiCommon(deps, ctx, MAX_MSG_PARAM_BYTES);
        if (!('content' in common)) return common;
        const cid = asString(common.body.openConversationId);
        if (!cid) return v1Err(400, 'miss.openConversationId', '缺少openConversationId');
        const chat = deps.org.chatByCid(cid);
        if (!chat) return v1Err(400, 'invalid.openConversationId', 'openConversationId不合法');
        if (chat.status !== 1) return v1Err(400, 'group.disbanded', '群已解散');
        // The robot must be in the group (dingtalk-api.md §4.3); the exact code is UNCONFIRMED.
        if (!chat.botInChat) return v1Err(400, 'resource.not.found', '机器人不在群中');
        record({
          via: 'group',
          msgId: undefined,
          conversationId: cid,
          ...common.content,
          atUserIds: [],
          body: common.body,
        });
        return { status: 200, body: { processQueryKey: newProcessQueryKey() } };
      },
    },
  ];
}

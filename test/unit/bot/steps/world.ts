/**
 * A small world for the step tests: the real store (in-memory SQLite), command registry,
 * authorizer, confirmations, audit trail and translator, with hand-written fakes only for the
 * DingTalk side (GroupApi) and the Directory.
 */
import pino from 'pino';
import { allCommands } from '../../../../commands/index.ts';
import { AuditTrail } from '../../../../src/bot/audit.ts';
import { Authorizer } from '../../../../src/bot/auth.ts';
import { Confirmations } from '../../../../src/bot/confirm.ts';
import type { Directory, PersonRef, Resolution } from '../../../../src/bot/directory.ts';
import { createTranslator } from '../../../../src/bot/i18n.ts';
import { WriteJournal } from '../../../../src/bot/journal.ts';
import { peopleView } from '../../../../src/bot/people.ts';
import { type Policy, policySchema } from '../../../../src/bot/policy.ts';
import { loadCommands } from '../../../../src/bot/registry.ts';
import { route } from '../../../../src/bot/steps/route.ts';
import type { Deps, Step, Turn } from '../../../../src/bot/steps/turn.ts';
import type { IncomingMessage, Locale } from '../../../../src/bot/types.ts';
import type { EndpointName } from '../../../../src/dingtalk/errors.ts';
import { DingTalkApiError } from '../../../../src/dingtalk/errors.ts';
import type {
  ChatInfo,
  ChatSettings,
  CreateChatInput,
  CreatedChat,
  GroupApi,
  UpdateChatInput,
} from '../../../../src/dingtalk/types.ts';
import { openStore, type SqliteStore } from '../../../../src/store/index.ts';
import { DESIGN_ID, GROUP_CID, HERE_ID, message } from '../fakes.ts';

export { DESIGN_ID, GROUP_CID, HERE_ID, message };

export const log = pino({ level: 'silent' });

const SETTINGS: ChatSettings = {
  searchable: false,
  validation: false,
  mentionAll: 'everyone',
  management: 'everyone',
  mute: false,
  history: false,
};

/** A chat as chat/get tells it. */
export function chatInfo(over: Partial<ChatInfo> & { chatId: string }): ChatInfo {
  return {
    name: 'Team Here',
    owner: 'lead1',
    members: ['lead1', 'alice', 'bob'],
    settings: { ...SETTINGS },
    status: 1,
    conversationTag: 2,
    ...over,
  };
}

/**
 * The DingTalk side: records every call, answers chat/get from `chats`. Writes go through the
 * write journal when one is set, as the real HTTP client does.
 */
export class FakeGroups implements GroupApi {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly chats = new Map<string, ChatInfo>();
  /** Writes actually sent (not answered from a replayed journal). */
  readonly sent: { endpoint: EndpointName; body: unknown }[] = [];
  journal: WriteJournal | undefined;
  /** chat/get never answers */
  hang = false;
  /** chat/get fails with this */
  fail: Error | undefined;

  add(info: ChatInfo): this {
    this.chats.set(info.chatId, info);
    return this;
  }

  async get(chatId: string): Promise<ChatInfo> {
    this.calls.push({ method: 'get', args: [chatId] });
    if (this.hang) return new Promise<never>(() => {});
    if (this.fail) throw this.fail;
    const info = this.chats.get(chatId);
    if (info === undefined)
      throw new DingTalkApiError({ endpoint: 'chat.get', status: 200, errcode: 40003, message: 'no chat' });
    return structuredClone(info);
  }

  async update(chatId: string, patch: UpdateChatInput): Promise<void> {
    this.calls.push({ method: 'update', args: [chatId, patch] });
    await this.#write('chat.update', { chatid: chatId, ...patch }, async () => {
      const info = this.chats.get(chatId);
      if (info && patch.name !== undefined) info.name = patch.name;
      if (info && patch.remove) info.members = info.members.filter((m) => !patch.remove?.includes(m));
      return undefined;
    });
  }

  async create(input: CreateChatInput): Promise<CreatedChat> {
    this.calls.push({ method: 'create', args: [input] });
    throw new Error('create is not used by these tests');
  }
  async toOpenConversationId(chatId: string): Promise<string> {
    this.calls.push({ method: 'toOpenConversationId', args: [chatId] });
    return `cid${chatId}`;
  }
  async setAdmins(chat: { chatId: string }, userIds: string[], action: 'add' | 'remove'): Promise<void> {
    this.calls.push({ method: 'setAdmins', args: [chat, userIds, action] });
  }
  async setPrivateChat(chatId: string, prohibit: boolean): Promise<void> {
    this.calls.push({ method: 'setPrivateChat', args: [chatId, prohibit] });
  }
  async setNick(chatId: string, userId: string, nick: string): Promise<void> {
    this.calls.push({ method: 'setNick', args: [chatId, userId, nick] });
  }
  async qrLink(chatId: string, sharer: string): Promise<string> {
    this.calls.push({ method: 'qrLink', args: [chatId, sharer] });
    return 'https://qr.example/x';
  }

  /** Which methods were called, in order. */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  async #write<T>(endpoint: EndpointName, body: unknown, send: () => Promise<T>): Promise<T> {
    const go = async () => {
      this.sent.push({ endpoint, body });
      return send();
    };
    return this.journal ? this.journal.write({ endpoint, body }, go) : go();
  }
}

/** The directory: canned answers by what was typed, names by userId. */
export class FakeDirectory {
  readonly learned: [string, string][] = [];
  readonly lookups: PersonRef[] = [];
  readonly answers = new Map<string, Resolution>();
  readonly known = new Map<string, string>([
    ['lead1', 'Lee Lead'],
    ['lead2', 'Li Lead'],
    ['alice', 'Alice'],
    ['bob', 'Bob'],
  ]);

  learn(userId: string, name: string): void {
    this.learned.push([userId, name]);
  }

  async resolve(ref: PersonRef): Promise<Resolution> {
    this.lookups.push(ref);
    const canned = this.answers.get(ref.text);
    if (canned !== undefined) return canned;
    const name = this.known.get(ref.text);
    if (ref.kind === 'userId' && name !== undefined)
      return { kind: 'one', person: { userId: ref.text, name }, verified: true };
    return { kind: 'none', close: [] };
  }

  async names(userIds: readonly string[]): Promise<Map<string, string | undefined>> {
    return new Map(userIds.map((id) => [id, this.known.get(id)]));
  }
}

export interface World {
  store: SqliteStore;
  groups: FakeGroups;
  directory: FakeDirectory;
  journal: WriteJournal;
  deps: Deps & { journal: WriteJournal };
  /** A turn for `text` from `over.senderUserId` (default lead1) in the group GROUP_CID. */
  turn(text: string, over?: Partial<IncomingMessage>, locale?: Locale): Turn;
  /** The same, already routed (spec and rest set). */
  routed(text: string, over?: Partial<IncomingMessage>): Promise<Turn>;
  /** Runs `step`; true when it called next. */
  step(step: Step, turn: Turn): Promise<boolean>;
}

export interface WorldOptions {
  policy?: Policy;
  now?: () => number;
  commandTimeoutMs?: number;
}

let keys = 0;

/**
 * The registry knows HERE_ID (the group the messages come from, created by the bot for lead1)
 * and DESIGN_ID (`#Design`, linked by lead2); DingTalk knows both chats.
 */
export async function world(o: WorldOptions = {}): Promise<World> {
  const store = openStore({ memory: true });
  const commands = loadCommands(allCommands);
  const authorizer = new Authorizer({
    admins: ['admin1'],
    leads: ['lead1', 'lead2'],
    ...(o.policy ? { policy: o.policy } : {}),
  });
  const now = o.now ?? Date.now;
  const confirmations = new Confirmations(store.pending, { now });
  const directory = new FakeDirectory();
  const groups = new FakeGroups()
    .add(chatInfo({ chatId: HERE_ID, name: 'Team Here', owner: 'lead1' }))
    .add(chatInfo({ chatId: DESIGN_ID, name: 'Design', owner: 'lead2', members: ['lead2', 'alice'] }));
  await store.registry.upsert({
    chatId: HERE_ID,
    name: 'Team Here',
    openConversationId: GROUP_CID,
    createdFor: 'lead1',
    createdByBot: true,
  });
  await store.registry.upsert({
    chatId: DESIGN_ID,
    name: 'Design',
    openConversationId: undefined,
    createdFor: 'lead2',
    createdByBot: false,
  });
  const journal = new WriteJournal(
    store.journal,
    { changes: store.changes, registry: store.registry },
    'replica-test',
    log,
    now,
  );
  groups.journal = journal;
  const dir = directory as unknown as Directory;
  const deps: Deps & { journal: WriteJournal } = {
    store,
    groups,
    commands,
    authorizer,
    confirmations,
    audit: new AuditTrail(store.audit, log),
    directory: dir,
    people: peopleView(dir),
    metrics: undefined,
    replicaId: 'replica-test',
    commandTimeoutMs: o.commandTimeoutMs ?? 5_000,
    timeZone: 'Asia/Shanghai',
    now,
    journal,
  };
  const turn = (text: string, over: Partial<IncomingMessage> = {}, locale: Locale = 'en'): Turn => {
    keys++;
    return {
      msg: message({ text, msgId: `msg${keys}==`, ...over }),
      key: `dingrobot:msg${keys}==`,
      log,
      locale,
      t: createTranslator(locale, commands.messages),
      deadline: now() + deps.commandTimeoutMs,
      signal: AbortSignal.timeout(deps.commandTimeoutMs),
      notices: [],
    };
  };
  const step = async (s: Step, t: Turn): Promise<boolean> => {
    let called = false;
    await s(t, async () => {
      called = true;
    });
    return called;
  };
  const routed = async (text: string, over: Partial<IncomingMessage> = {}): Promise<Turn> => {
    const t = turn(text, over);
    if (!(await step(route(deps), t))) throw new Error(`"${text}" did not route: ${t.outcome?.reply.text}`);
    return t;
  };
  return { store, groups, directory, journal, deps, turn, routed, step };
}

/** A policy from its JSON form. */
export function policy(json: unknown): Policy {
  return policySchema.parse(json);
}

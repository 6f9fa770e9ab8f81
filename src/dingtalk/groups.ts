/**
 * {@link GroupApi} over the raw endpoints. DINGTALK_GROUP_API picks the family for create,
 * update and admins: `v1` (group/create, group/update, subAdministrators), `legacy` (chat/create,
 * chat/update, topapi subadmin/update), or `auto` = v1 first, legacy when DingTalk says the app
 * lacks the permission, and the switch is remembered (architecture.md §3). The other operations
 * exist in one family only.
 */
import type { ChatApiRaw, ChatFlags, CreatedRaw } from './chat.ts';
import { type DingTalkError, DingTalkPartialCreateError, isPermissionDenied } from './errors.ts';
import { chunk } from './robot.ts';
import type {
  ChatInfo,
  ChatSettings,
  CreateChatInput,
  CreatedChat,
  GroupApi,
  UpdateChatInput,
} from './types.ts';

export type Family = 'legacy' | 'v1';
export type GroupApiMode = 'auto' | Family;

/** Where `auto` keeps the family it settled on (the store persists it). */
export interface FamilyMemory {
  get(): Family | undefined;
  set(family: Family): void;
}

/** Members per create/update call (§2.1, §2.3). */
export const MEMBERS_PER_CALL = 40;
/**
 * Admins per call. The legacy SDK caps `userids` at 12; v1 documents no maximum, and its
 * sibling scene-group API caps at 12, so both families use 12.
 */
export const ADMINS_PER_CALL = 12;

const b = (x: boolean): 0 | 1 => (x ? 1 : 0);

/** ChatSettings → DingTalk's numeric flags; only the keys given. */
export function settingsToFlags(s: Partial<ChatSettings> | undefined): ChatFlags {
  const f: ChatFlags = {};
  if (!s) return f;
  if (s.searchable !== undefined) f.searchable = b(s.searchable);
  if (s.validation !== undefined) f.validationType = b(s.validation);
  if (s.mentionAll !== undefined) f.mentionAllAuthority = s.mentionAll === 'owner' ? 1 : 0;
  if (s.management !== undefined) f.managementType = s.management === 'owner' ? 1 : 0;
  if (s.mute !== undefined) f.chatBannedType = b(s.mute);
  if (s.history !== undefined) f.showHistoryType = b(s.history);
  return f;
}

/** DingTalk's numeric flags → ChatSettings (absent = 0, DingTalk's default). */
export function flagsToSettings(f: { [K in keyof ChatFlags]?: number | undefined }): ChatSettings {
  return {
    searchable: f.searchable === 1,
    validation: f.validationType === 1,
    mentionAll: f.mentionAllAuthority === 1 ? 'owner' : 'everyone',
    management: f.managementType === 1 ? 'owner' : 'everyone',
    mute: f.chatBannedType === 1,
    history: f.showHistoryType === 1,
  };
}

const isEmpty = (o: object): boolean => Object.keys(o).length === 0;

export interface GroupsOptions {
  chat: ChatApiRaw;
  mode: GroupApiMode;
  remember?: FamilyMemory | undefined;
}

/** The GroupApi implementation. */
export class Groups implements GroupApi {
  readonly #chat: ChatApiRaw;
  readonly #mode: GroupApiMode;
  readonly #remember: FamilyMemory | undefined;
  /** In-memory fallback when no store hook is given. */
  #family: Family | undefined;

  constructor(opts: GroupsOptions) {
    this.#chat = opts.chat;
    this.#mode = opts.mode;
    this.#remember = opts.remember;
  }

  /** The family create/update/admins will use next. */
  family(): Family {
    if (this.#mode !== 'auto') return this.#mode;
    return this.#remember?.get() ?? this.#family ?? 'v1';
  }

  async create(input: CreateChatInput): Promise<CreatedChat> {
    // Owner first so that the first call (≤40) always holds it; duplicates dropped.
    const members = [...new Set([input.owner, ...input.members])];
    const [first = [], ...rest] = chunk(members, MEMBERS_PER_CALL);
    const flags = settingsToFlags(input.settings);
    const { family, value: raw } = await this.#withFamily<CreatedRaw>((f) =>
      f === 'v1'
        ? this.#chat.groupCreate({
            name: input.name,
            owner: input.owner,
            useridlist: first,
            ...(isEmpty(flags) ? {} : { managementOptions: flags }),
          })
        : this.#chat.chatCreate({ name: input.name, owner: input.owner, useridlist: first, ...flags }),
    );
    const created: CreatedChat = { chatId: raw.chatid, openConversationId: raw.openConversationId, family };
    for (let i = 0; i < rest.length; i++) {
      const add = rest[i] as string[];
      try {
        await this.#updateIn(family, { chatid: created.chatId, add_useridlist: add });
      } catch (err) {
        throw new DingTalkPartialCreateError(
          family === 'v1' ? 'im.group.update' : 'chat.update',
          created,
          rest.slice(i).flat(),
          err as DingTalkError,
        );
      }
    }
    return created;
  }

  async get(chatId: string): Promise<ChatInfo> {
    const c = await this.#chat.chatGet(chatId);
    return {
      chatId: c.chatid ?? chatId,
      name: c.name,
      owner: c.owner,
      members: c.useridlist,
      settings: flagsToSettings(c),
      status: c.status,
      conversationTag: c.conversationTag,
    };
  }

  async update(chatId: string, patch: UpdateChatInput): Promise<void> {
    const adds = chunk(patch.add ?? [], MEMBERS_PER_CALL);
    const dels = chunk(patch.remove ?? [], MEMBERS_PER_CALL);
    const n = Math.max(1, adds.length, dels.length);
    const flags = settingsToFlags(patch.settings);
    const calls: UpdatePatch[] = [];
    for (let i = 0; i < n; i++) {
      const p: UpdatePatch = { chatid: chatId };
      if (i === 0) {
        if (patch.name !== undefined) p.name = patch.name;
        if (!isEmpty(flags)) p.flags = flags;
      }
      // The new owner must already be a member: set it in the last call, after every add.
      if (i === n - 1 && patch.owner !== undefined) p.owner = patch.owner;
      if (adds[i]) p.add_useridlist = adds[i] as string[];
      if (dels[i]) p.del_useridlist = dels[i] as string[];
      calls.push(p);
    }
    const [head, ...tail] = calls;
    if (head === undefined) return;
    const { family } = await this.#withFamily((f) => this.#updateIn(f, head));
    for (const p of tail) await this.#updateIn(family, p);
  }

  toOpenConversationId(chatId: string): Promise<string> {
    return this.#chat.convertToOpenConversationId(chatId);
  }

  async setAdmins(
    chat: { chatId: string; openConversationId?: string },
    userIds: string[],
    action: 'add' | 'remove',
  ): Promise<void> {
    const role = action === 'add' ? 2 : 3;
    const groups = chunk([...new Set(userIds)], ADMINS_PER_CALL);
    const [first, ...rest] = groups;
    if (first === undefined) return;
    let cid = chat.openConversationId;
    const run = async (f: Family, ids: string[]): Promise<void> => {
      if (f === 'legacy') {
        await this.#chat.subadminUpdate({ chatid: chat.chatId, userids: ids, role });
        return;
      }
      cid ??= await this.#chat.convertToOpenConversationId(chat.chatId);
      await this.#chat.subAdministrators({ openConversationId: cid, userIds: ids, role });
    };
    const { family } = await this.#withFamily((f) => run(f, first));
    for (const ids of rest) await run(family, ids);
  }

  async setPrivateChat(chatId: string, prohibit: boolean): Promise<void> {
    await this.#chat.friendswitchUpdate({ chatid: chatId, is_prohibit: prohibit });
  }

  async setNick(chatId: string, userId: string, nick: string): Promise<void> {
    await this.#chat.updateGroupNick({ chatid: chatId, userid: userId, group_nick: nick });
  }

  qrLink(chatId: string, sharer: string): Promise<string> {
    return this.#chat.qrcodeGet({ chatid: chatId, userid: sharer });
  }

  async #updateIn(f: Family, p: UpdatePatch): Promise<void> {
    const { flags, ...rest } = p;
    if (f === 'v1') {
      await this.#chat.groupUpdate({ ...rest, ...(flags ? { managementOptions: flags } : {}) });
    } else {
      await this.#chat.chatUpdate({ ...rest, ...flags });
    }
  }

  /**
   * Runs `op` in the current family. In `auto`, a permission refusal (which proves nothing was
   * done) moves to the other family once; when that works, the switch is remembered. When both
   * refuse, the v1 refusal is thrown: new apps can only be granted the v1 permission.
   */
  async #withFamily<T>(op: (f: Family) => Promise<T>): Promise<{ family: Family; value: T }> {
    const f = this.family();
    try {
      return { family: f, value: await op(f) };
    } catch (err) {
      if (this.#mode !== 'auto' || !isPermissionDenied(err)) throw err;
      const other: Family = f === 'v1' ? 'legacy' : 'v1';
      let value: T;
      try {
        value = await op(other);
      } catch (err2) {
        if (isPermissionDenied(err2)) throw f === 'v1' ? err : err2;
        throw err2;
      }
      this.#family = other;
      this.#remember?.set(other);
      return { family: other, value };
    }
  }
}

interface UpdatePatch {
  chatid: string;
  name?: string;
  owner?: string;
  add_useridlist?: string[];
  del_useridlist?: string[];
  flags?: ChatFlags;
}

/**
 * The terminal chat: each line you type is a DingTalk message from the current user, in a 1:1
 * chat with the bot or in a group (where DingTalk @-mentions the bot for you); the bot's replies
 * are printed as a terminal shows markdown. Lines starting with `:` drive the sandbox itself.
 */

import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  type Chat,
  type Org,
  ROOT_DEPT_ID,
  type SayOptions,
  type SentReply,
  type User,
} from '../emulator/index.ts';
import { joinLinks, PLAIN, renderMarkdown, type TermStyle } from './markdown.ts';
import { drawQr } from './qr.ts';

/** The emulator as the chat uses it (an `Emulator` fits). */
export interface ChatDriver {
  readonly org: Org;
  readonly botName: string;
  readonly replies: readonly SentReply[];
  say(from: string, text: string, opts?: SayOptions): Promise<SentReply[]>;
  dmConversationId(userId: string): string;
}

export interface TerminalChatOptions {
  driver: ChatDriver;
  /** Bot roles, for `:users` (the bot itself decides with its own configuration). */
  roles: { admins: readonly string[]; leads: readonly string[] };
  startUser: string;
  /** Writes text as is (the chat adds the line breaks). */
  write: (text: string) => void;
  style?: TermStyle;
  /** A person at a terminal: a prompt, no echo. Otherwise every line is echoed after a prompt. */
  interactive: boolean;
  /** How long to wait for the bot's reply to one message. */
  replyTimeoutMs: number;
  /** Draw join links as QR codes (when a QR package is installed). */
  qr: boolean;
  /** Where the bot's log goes, named when a reply does not come. */
  logFile?: string;
  /** Called after every message sent (the sandbox saves the org). */
  afterMessage?: () => void;
}

export const SANDBOX_HELP = [
  'Sandbox commands (anything else is sent to the bot as a message):',
  '  :as <user>        talk as another user (userId or the name DingTalk shows), e.g. :as alice',
  '  :group <name>     talk in a group the bot is in (the bot is @-mentioned for you)',
  '  :dm               back to your 1:1 chat with the bot',
  '  :users            the demo org: userIds, nicks, bot roles',
  '  :chats            the groups: names, chatIds, owners, members',
  '  :help             this list',
  '  :quit             leave (Ctrl-D and Ctrl-C too)',
  '@userId in a group message mentions that member, as picking them in DingTalk would.',
];

/** userIds as DingTalk allows them (src/config.ts), after an `@` that starts a word. */
const AT_WORD = /(?<![^\s])@([A-Za-z0-9_.\-$]+)/g;

/**
 * The mentions DingTalk would send for a line typed in a group: each `@userId` naming a member
 * is picked (in order, once). In a 1:1 chat there is no @ picker, so nothing is.
 */
export function pickMentions(text: string, org: Org, chat: Chat | undefined): string[] {
  if (!chat) return [];
  const picked: string[] = [];
  for (const m of text.matchAll(AT_WORD)) {
    const word = m[1] ?? '';
    const id = [word, word.replace(/[.-]+$/, '')].find((w) => org.user(w) && chat.members.includes(w));
    if (id !== undefined && !picked.includes(id)) picked.push(id);
  }
  return picked;
}

type Outcome = 'quit' | undefined;

/** One terminal chat session: who is talking, where, and what the bot answered. */
export class TerminalChat {
  private user: string;
  private chatId: string | undefined;
  private cursor: number;
  private readonly st: TermStyle;

  constructor(private readonly o: TerminalChatOptions) {
    this.user = o.startUser;
    this.st = o.style ?? PLAIN;
    this.cursor = 0;
  }

  /** `lead1@dm> ` or `lead1@Platform Team> `. */
  prompt(): string {
    return `${this.user}@${this.group()?.name ?? 'dm'}> `;
  }

  /** Prints replies the bot sent that were not shown yet (e.g. notices sent at start-up). */
  async flush(): Promise<void> {
    const fresh = this.o.driver.replies.slice(this.cursor);
    this.cursor = this.o.driver.replies.length;
    for (const r of fresh) await this.printReply(r);
  }

  /** Handles one input line. Returns 'quit' when the user asked to leave. */
  async handle(raw: string): Promise<Outcome> {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return undefined;
    if (!this.o.interactive) this.o.write(`${this.prompt()}${line}\n`);
    if (line.startsWith(':')) return this.command(line);
    await this.send(line);
    return undefined;
  }

  private group(): Chat | undefined {
    return this.chatId === undefined ? undefined : this.o.driver.org.chat(this.chatId);
  }

  private note(text: string): void {
    this.o.write(`${this.st.dim(`  [sandbox] ${text}`)}\n\n`);
  }

  private lines(rows: string[]): void {
    this.o.write(`${rows.map((r) => `  ${r}`).join('\n')}\n\n`);
  }

  private roleOf(userId: string): string {
    if (this.o.roles.admins.includes(userId)) return 'admin';
    if (this.o.roles.leads.includes(userId)) return 'lead';
    return 'everyone';
  }

  private async send(line: string): Promise<void> {
    const { driver } = this.o;
    const chat = this.group();
    let text = line;
    if (chat) {
      // DingTalk adds the bot's mention itself; a typed one would be there twice.
      const self = new RegExp(
        `^@${driver.botName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.-])\\s*`,
        'i',
      );
      text = text.replace(self, '');
    }
    const mentions = pickMentions(text, driver.org, chat);
    const opts: SayOptions = { expect: 1, timeoutMs: this.o.replyTimeoutMs };
    if (chat) opts.chat = chat.chatId;
    if (mentions.length > 0) opts.mentions = mentions;
    try {
      await driver.say(this.user, text, opts);
    } catch (err) {
      const msg = (err as Error).message;
      if (/replies to/.test(msg)) {
        const secs = Math.round(this.o.replyTimeoutMs / 1000);
        const where = this.o.logFile ? `; the bot's log is ${this.o.logFile}` : '';
        this.o.write(`${this.st.warn(`  [sandbox] no reply within ${secs} s${where}`)}\n\n`);
      } else {
        this.o.write(`${this.st.warn(`  [sandbox] not sent: ${msg.replace(/^emulator: /, '')}`)}\n\n`);
      }
    } finally {
      await this.flush();
      this.o.afterMessage?.();
    }
  }

  /** Where a reply went, when that is not the conversation you are in. */
  private elsewhere(r: SentReply): string | undefined {
    const { driver } = this.o;
    const here = this.group();
    if (r.via === 'oto') {
      const to = r.userIds ?? [];
      return !here && to.length === 1 && to[0] === this.user ? undefined : `1:1 to ${to.join(', ')}`;
    }
    const cid = r.conversationId;
    if (here ? cid === here.openConversationId : cid === driver.dmConversationId(this.user)) return undefined;
    const chat = driver.org.chatByCid(cid);
    if (chat) return `in ${chat.name}`;
    const user = driver.org.users().find((u) => driver.dmConversationId(u.userId) === cid);
    return user ? `1:1 to ${user.userId}` : `in ${cid}`;
  }

  private async printReply(r: SentReply): Promise<void> {
    const where = this.elsewhere(r);
    let text = r.text;
    if (r.link && !text.includes(r.link.url)) text += `\n\n[${r.link.title}](${r.link.url})`;
    const body = renderMarkdown(text, this.st)
      .split('\n')
      .map((l) => (l === '' ? '' : `  ${l}`))
      .join('\n');
    if (where !== undefined) this.o.write(`${this.st.dim(`  [sent ${where}]`)}\n`);
    this.o.write(`${body}\n\n`);
    if (!this.o.qr) return;
    for (const link of joinLinks(text)) this.o.write(`${await drawQr(link)}\n\n`);
  }

  private command(line: string): Outcome {
    const [word = '', ...rest] = line.slice(1).trim().split(/\s+/);
    const arg = rest.join(' ').trim();
    switch (word.toLowerCase()) {
      case 'q':
      case 'quit':
      case 'exit':
        return 'quit';
      case 'h':
      case 'help':
      case '?':
        this.lines(SANDBOX_HELP);
        return undefined;
      case 'users':
        this.listUsers();
        return undefined;
      case 'chats':
      case 'groups':
        this.listChats();
        return undefined;
      case 'as':
        this.switchUser(arg);
        return undefined;
      case 'group':
      case 'g':
        this.switchGroup(arg);
        return undefined;
      case 'dm':
        this.chatId = undefined;
        this.note(`${this.user} in a 1:1 chat with ${this.o.driver.botName}`);
        return undefined;
      default:
        this.note(`no sandbox command :${word}; :help lists them`);
        return undefined;
    }
  }

  private listUsers(): void {
    const users = this.o.driver.org.users();
    const w = Math.max(...users.map((u) => u.userId.length));
    const n = Math.max(...users.map((u) => u.nick.length));
    this.lines([
      'Users (bot role from BOT_ADMINS / BOT_LEADS):',
      ...users.map(
        (u) =>
          `  ${u.userId.padEnd(w)}  ${u.nick.padEnd(n)}  ${this.roleOf(u.userId)}${u.isOrgAdmin ? ', DingTalk org admin' : ''}${this.directoryOf(u)}`,
      ),
    ]);
  }

  /** The directory entry, so names, mobiles and `dept:` are there to try. */
  private directoryOf(u: User): string {
    const { org } = this.o.driver;
    const depts = u.deptIds
      .filter((id) => id !== ROOT_DEPT_ID)
      .map((id) => org.department(id)?.name)
      .filter((d): d is string => d !== undefined);
    const parts = [
      u.englishName ? `${u.name} / ${u.englishName}` : u.name,
      u.title,
      depts.join(', '),
      u.mobile,
    ];
    const shown = parts.filter((p) => p !== undefined && p !== '');
    return shown.length > 1 || u.name !== u.nick ? `  · ${shown.join(' · ')}` : '';
  }

  private listChats(): void {
    const chats = this.o.driver.org.chats().filter((c) => c.status === 1);
    if (chats.length === 0) {
      this.note('no groups yet; create one with /chat create "<name>" @people');
      return;
    }
    this.lines([
      'Groups (:group <name> to talk in one):',
      ...chats.map(
        (c) =>
          `  ${c.name}  ${c.chatId}  owner ${c.owner}  members ${c.members.join(', ')}${c.botInChat ? '' : '  (bot not in it)'}`,
      ),
    ]);
  }

  /**
   * `:as <user>`: a userId, the name DingTalk shows for the user (the directory name, `李伟`, as
   * /whoami shows it; also the English name), the one-word mention nick, or a userId prefix. A name
   * that several users share is listed, not guessed.
   */
  private switchUser(arg: string): void {
    const { org } = this.o.driver;
    const typed = arg
      .replace(/^@/, '')
      .replace(/^["'“‘](.*)["'”’]$/, '$1')
      .trim();
    const want = typed.toLowerCase();
    if (want === '') {
      this.note(
        `you are ${this.user} (${this.shownName(this.user)}); :as <userId or name> switches (:users lists them)`,
      );
      return;
    }
    const users = org.users();
    const named = users.filter((u) => u.name.toLowerCase() === want || u.englishName?.toLowerCase() === want);
    if (named.length > 1 && !users.some((u) => u.userId.toLowerCase() === want)) {
      this.note(
        `${typed} is ${named.length} users: ${named.map((u) => `${u.userId} (${this.directoryOf(u).replace(/^\s*·\s*/, '')})`).join('; ')}; :as <userId> picks one`,
      );
      return;
    }
    const found =
      users.find((u) => u.userId.toLowerCase() === want) ??
      only(named) ??
      only(users.filter((u) => u.nick.toLowerCase() === want)) ??
      only(users.filter((u) => u.userId.toLowerCase().startsWith(want)));
    if (!found) {
      this.note(`no user ${typed}; users: ${users.map((u) => `${u.userId} (${u.name})`).join(', ')}`);
      return;
    }
    this.user = found.userId;
    const chat = this.group();
    let where = `1:1 chat with ${this.o.driver.botName}`;
    if (chat) {
      if (chat.members.includes(found.userId)) where = `in ${chat.name}`;
      else {
        this.chatId = undefined;
        where = `${where} (not a member of ${chat.name})`;
      }
    }
    // The name DingTalk shows for the user (senderNick, what /whoami calls the nick).
    this.note(`now ${found.userId} (${found.name}, role ${this.roleOf(found.userId)}), ${where}`);
  }

  /** The name DingTalk shows for a user: the directory name. */
  private shownName(userId: string): string {
    return this.o.driver.org.user(userId)?.name ?? userId;
  }

  private switchGroup(arg: string): void {
    const { org } = this.o.driver;
    const want = arg
      .replace(/^#/, '')
      .replace(/^["'“‘](.*)["'”’]$/, '$1')
      .trim();
    if (want === '') {
      this.listChats();
      return;
    }
    const chats = org.chats().filter((c) => c.status === 1);
    const lower = want.toLowerCase();
    const byName = chats.filter((c) => c.name.toLowerCase() === lower);
    const candidates =
      chats.filter((c) => c.chatId === want || c.openConversationId === want).length > 0
        ? chats.filter((c) => c.chatId === want || c.openConversationId === want)
        : byName.length > 0
          ? byName
          : chats.filter((c) => c.name.toLowerCase().startsWith(lower));
    if (candidates.length === 0) {
      this.note(`no group ${want}; :chats lists them`);
      return;
    }
    if (candidates.length > 1) {
      this.note(
        `${candidates.length} groups match: ${candidates.map((c) => `${c.name} ${c.chatId}`).join('; ')}`,
      );
      return;
    }
    const chat = candidates[0] as Chat;
    if (!chat.botInChat) {
      this.note(`${this.o.driver.botName} is not in ${chat.name}`);
      return;
    }
    if (!chat.members.includes(this.user)) {
      this.note(
        `${this.user} is not a member of ${chat.name} (members: ${chat.members.join(', ')}); :as one of them, or /chat add ${chat.chatId} ${this.user}`,
      );
      return;
    }
    this.chatId = chat.chatId;
    this.note(`${this.user} in ${chat.name}: messages @-mention ${this.o.driver.botName}; :dm to leave`);
  }
}

function only<T>(list: T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined;
}

export interface ChatLoopIo {
  input: Readable;
  output: Writable;
  interactive: boolean;
  /** Ctrl-C at the terminal; default {@link ChatLoop.stop}. */
  onInterrupt?: () => void;
}

/** Reads lines until end of input, `:quit` or {@link ChatLoop.stop}; one message at a time. */
export class ChatLoop {
  private rl: Interface | undefined;
  private stopping = false;

  constructor(
    private readonly chat: TerminalChat,
    private readonly io: ChatLoopIo,
  ) {}

  async run(): Promise<void> {
    const { input, output, interactive } = this.io;
    const rl = createInterface(
      interactive ? { input, output, terminal: true, historySize: 200 } : { input, terminal: false },
    );
    this.rl = rl;
    if (interactive) rl.on('SIGINT', () => (this.io.onInterrupt ?? (() => this.stop()))());
    const prompt = (): void => {
      if (!interactive) return;
      rl.setPrompt(this.chat.prompt());
      rl.prompt();
    };
    await this.chat.flush();
    if (this.stopping) return;
    prompt();
    for await (const line of rl) {
      const outcome = await this.chat.handle(line);
      if (outcome === 'quit' || this.stopping) break;
      prompt();
    }
    rl.close();
    if (interactive) output.write('\n');
  }

  /** Ends the loop after the message in flight (if any) has its reply. */
  stop(): void {
    this.stopping = true;
    this.rl?.close();
  }
}

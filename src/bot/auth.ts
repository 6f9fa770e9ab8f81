/**
 * Who may run what, and on which chat (architecture.md §3, "Roles").
 *
 * The bot's app token can change any chat the app created, so every rule here errs towards
 * refusing: a user with no role may run only `everyone` commands, an unknown role grants
 * nothing, and a lead may change a chat only when DingTalk (asked at the time of the command)
 * names them its owner or the registry says the bot created it for them.
 *
 * Permissions are declared on the spec (`role`, `ownership`, `risk`) and adjusted by the policy
 * file; the pipeline calls this class at one place (Koishi's `authority`, checked centrally).
 */
import type { GroupApi } from '../dingtalk/types.ts';
import { chatTemplate, emptyPolicy, type Policy } from './policy.ts';
import type { ChatRef, ChatTemplate, CommandSpec, Role } from './types.ts';

const RANK: Record<Role, number> = { everyone: 0, lead: 1, admin: 2 };

const isBuiltinRole = (r: string): r is Role => Object.hasOwn(RANK, r);

/** Ownership check result: how a change was allowed, or the chat's actual owner. */
export type OwnershipResult =
  | { ok: true; via: 'admin' | 'registry' | 'owner' }
  | { ok: false; owner: string; name: string };

/** Role check result: `needed` is the role named in the refusal, `role` the caller's own. */
export type CanRunResult = { ok: true } | { ok: false; needed: string; role: Role };

export interface AuthorizerOptions {
  /** From BOT_ADMINS. */
  admins: readonly string[];
  /** From BOT_LEADS. */
  leads: readonly string[];
  /** From BOT_POLICY_FILE; none means only the built-in rules. */
  policy?: Policy;
}

/** Decides roles, command access, forbidden options, risk and chat ownership. */
export class Authorizer {
  readonly #admins: ReadonlySet<string>;
  readonly #leads: ReadonlySet<string>;
  readonly #policy: Policy;

  constructor(opts: AuthorizerOptions) {
    this.#policy = opts.policy ?? emptyPolicy();
    this.#admins = new Set([...opts.admins, ...(this.#policy.users.admin ?? [])]);
    this.#leads = new Set([...opts.leads, ...(this.#policy.users.lead ?? [])]);
  }

  /**
   * The caller's built-in role (admin > lead > everyone) and the policy roles they hold.
   * DingTalk's own org-admin flag plays no part.
   */
  roleOf(userId: string): { role: Role; extraRoles: string[] } {
    const role: Role = this.#admins.has(userId) ? 'admin' : this.#leads.has(userId) ? 'lead' : 'everyone';
    const extraRoles = Object.keys(this.#policy.roles).filter((r) =>
      (this.#policy.users[r] ?? []).includes(userId),
    );
    return { role, extraRoles };
  }

  /** The role a command needs: the policy's override, else the spec's own. */
  neededRole(spec: Pick<CommandSpec<unknown>, 'name' | 'role'>): string {
    return this.#policy.commands[spec.name]?.role ?? spec.role;
  }

  /**
   * May this user run the command at all (before any chat is looked at)? Admins may run
   * everything; otherwise the built-in role must reach the needed one, or a policy role the
   * user holds must grant the command (or be the needed role itself).
   */
  canRun(
    spec: Pick<CommandSpec<unknown>, 'name' | 'role'> & Partial<Pick<CommandSpec<unknown>, 'answersTo'>>,
    userId: string,
  ): CanRunResult {
    const { role, extraRoles } = this.roleOf(userId);
    if (this.#rolesGranting(spec.name, this.neededRole(spec), role, extraRoles).length === 0) {
      return { ok: false, needed: this.neededRole(spec), role };
    }
    // A command made of others answers to their overrides too (their built-in roles are no higher).
    for (const other of spec.answersTo ?? []) {
      const needed = this.#policy.commands[other]?.role;
      if (needed !== undefined && this.#rolesGranting(other, needed, role, extraRoles).length === 0) {
        return { ok: false, needed, role };
      }
    }
    return { ok: true };
  }

  /**
   * The options in `usedOptions` this user may not use on this command. Lists are per role in
   * the policy (`commands[name].forbiddenOptions`); an option is refused only when every role
   * through which the user may run the command forbids it, so an admin is not bound by a
   * lead's list. Pass the whole spec so that its `role` is known. Compared case-insensitively;
   * the result keeps the caller's spelling and order.
   */
  forbiddenOptions(
    spec: Pick<CommandSpec<unknown>, 'name'> & Partial<Pick<CommandSpec<unknown>, 'role' | 'answersTo'>>,
    userId: string,
    usedOptions: readonly string[],
  ): string[] {
    const own = this.#forbiddenBy(spec, userId, usedOptions);
    // The commands it is made of forbid what they forbid (`owner=` of a clone is create's `owner=`).
    for (const other of spec.answersTo ?? []) {
      for (const opt of this.#forbiddenBy({ name: other }, userId, usedOptions)) {
        if (!own.some((o) => o.toLowerCase() === opt.toLowerCase())) own.push(opt);
      }
    }
    return usedOptions.filter((o) => own.includes(o));
  }

  #forbiddenBy(
    spec: Pick<CommandSpec<unknown>, 'name'> & Partial<Pick<CommandSpec<unknown>, 'role'>>,
    userId: string,
    usedOptions: readonly string[],
  ): string[] {
    const rules = this.#policy.commands[spec.name]?.forbiddenOptions;
    if (rules === undefined || usedOptions.length === 0) return [];
    const { role, extraRoles } = this.roleOf(userId);
    // Without the spec's role only the policy's override is known.
    const needed = this.#policy.commands[spec.name]?.role ?? spec.role;
    const through = this.#rolesGranting(spec.name, needed, role, extraRoles);
    // When nothing grants the command (canRun refuses it anyway), judge by the built-in role.
    const roles = through.length > 0 ? through : [role];
    const forbiddenFor = roles.map((r) => new Set((rules[r] ?? []).map((o) => o.toLowerCase())));
    const out: string[] = [];
    for (const opt of usedOptions) {
      const key = opt.toLowerCase();
      if (forbiddenFor.every((s) => s.has(key)) && !out.some((o) => o.toLowerCase() === key)) out.push(opt);
    }
    return out;
  }

  /** Does this command need `/confirm`? By its spec (`risk: 'confirm'`) or by the policy (`risky: true`). */
  isRisky(spec: Pick<CommandSpec<unknown>, 'name' | 'risk'>): boolean {
    return spec.risk === 'confirm' || this.#policy.commands[spec.name]?.risky === true;
  }

  /**
   * For `ownership: 'chat'`: may this user change this chat? Asks DingTalk (api.get) unless admin or
   * registry says created for them. Never cached: ownership may have been transferred a
   * minute ago. DingTalk errors propagate to the caller.
   */
  async checkOwnership(userId: string, chat: ChatRef, api: Pick<GroupApi, 'get'>): Promise<OwnershipResult> {
    if (this.roleOf(userId).role === 'admin') return { ok: true, via: 'admin' };
    const rec = chat.record;
    if (rec?.createdByBot && rec.createdFor === userId && rec.chatId === chat.chatId) {
      return { ok: true, via: 'registry' };
    }
    const info = await api.get(chat.chatId);
    return info.owner === userId
      ? { ok: true, via: 'owner' }
      : { ok: false, owner: info.owner, name: info.name };
  }

  /**
   * The policy's chat templates this user may use with `create` (the `chat create` spec): none
   * when they may not run it; then those without `roles`, and those naming a role they hold
   * (a built-in role counts for the roles above it; admins may use every template).
   */
  templates(userId: string, create: Pick<CommandSpec<unknown>, 'name' | 'role'> | undefined): ChatTemplate[] {
    if (create === undefined || !this.canRun(create, userId).ok) return [];
    const { role, extraRoles } = this.roleOf(userId);
    const holds = (r: string): boolean =>
      role === 'admin' || (isBuiltinRole(r) ? RANK[role] >= RANK[r] : extraRoles.includes(r));
    return Object.entries(this.#policy.templates ?? {})
      .filter(([, t]) => t.roles === undefined || t.roles.some(holds))
      .map(([name, t]) => chatTemplate(name, t));
  }

  /** The specs this user may run, in the given order (for /help). */
  visible(specs: readonly CommandSpec<unknown>[], userId: string): CommandSpec<unknown>[] {
    return specs.filter((s) => this.canRun(s, userId).ok);
  }

  /**
   * The roles (built-in or extra) through which this user may run the command; empty means
   * refused. `needed` undefined (unknown) lets the built-in role count.
   */
  #rolesGranting(name: string, needed: string | undefined, role: Role, extraRoles: string[]): string[] {
    const out: string[] = [];
    if (role === 'admin' || needed === undefined || (isBuiltinRole(needed) && RANK[role] >= RANK[needed])) {
      out.push(role);
    }
    for (const r of extraRoles) {
      if (r === needed || (this.#policy.roles[r]?.commands ?? []).includes(name)) out.push(r);
    }
    return out;
  }
}

/**
 * The optional policy file (`BOT_POLICY_FILE`): extra roles, who holds which role, and per-command
 * rules. It can only be read at start-up; a bad file stops the bot with every problem listed.
 *
 * The format, all four sections optional:
 *
 * ```json
 * {
 *   "roles": {
 *     "auditor": { "commands": ["audit"] }
 *   },
 *   "users": {
 *     "admin": ["manager4220"],
 *     "lead": ["lead0001", "lead0002"],
 *     "auditor": ["compliance01"]
 *   },
 *   "commands": {
 *     "chat info": { "role": "admin" },
 *     "chat rename": { "risky": true },
 *     "chat create": { "forbiddenOptions": { "lead": ["owner"] } }
 *   },
 *   "templates": {
 *     "project": {
 *       "members": ["dept:Design", "u_pm01"],
 *       "admins": ["u_pm01"],
 *       "settings": { "validation": "on", "mention-all": "owner", "history": "on" },
 *       "private-chat": "off",
 *       "nicks": { "u_pm01": "PM" },
 *       "roles": ["lead"]
 *     }
 *   }
 * }
 * ```
 *
 * - `roles`: new roles, each granting the commands it names (by spec name, e.g. `chat create`).
 *   The built-in roles `admin`, `lead` and `everyone` cannot be redefined here.
 * - `users`: userIds per role. Lists for `admin` and `lead` add to `BOT_ADMINS` / `BOT_LEADS`;
 *   other keys must be roles defined in `roles`.
 * - `commands`: keyed by spec name.
 *   - `role`: the role the command needs instead of the one its spec declares (built-in or defined
 *     here). Admins may still run everything.
 *   - `risky: true`: the command asks for `/confirm` first. `false` does not switch off the
 *     confirmation of commands that are risky by design (remove members, transfer owner).
 *   - `forbiddenOptions`: per role, the `key=value` options that role may not use.
 * - `templates`: chats set up in one step by `/chat create "<name>" template=<t>`, keyed by
 *   template name (lower-case word). Every field is optional. Users are written the way they are
 *   typed in commands (userId, name, mobile, `dept:<name>`, `me` for whoever uses the template)
 *   and resolved when the template is used.
 *   - `members`: users put in the chat.
 *   - `admins`: users made admins after the create (they are put in the chat too).
 *   - `settings`: the `/chat create` options `searchable`, `validation`, `mute`, `history`
 *     (`on`|`off`) and `mention-all`, `management` (`everyone`|`owner`).
 *   - `private-chat`: `on`|`off`, set after the create.
 *   - `nicks`: user -> nickname in the chat (each user must come to one person; put in the chat too).
 *   - `roles`: who may use it (built-in or defined here; admins always may). Default: whoever may
 *     run `chat create`.
 *
 * Unknown keys are errors (a typo must not silently drop a rule).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { typedPerson } from './person-word.ts';
import { type ChatTemplate, UserError } from './types.ts';

/** The built-in role names; a policy file adds roles beside them. */
export const BUILTIN_ROLES = ['everyone', 'lead', 'admin'] as const;

/** A validated policy. See the module comment for the JSON format. */
export interface Policy {
  /** Extra roles and the commands each grants. */
  roles: Record<string, { commands: string[] }>;
  /** role name -> userIds holding it */
  users: Record<string, string[]>;
  /** command name -> rules */
  commands: Record<string, { role?: string; risky?: boolean; forbiddenOptions?: Record<string, string[]> }>;
  /** template name -> what a chat made with it gets; absent when the file has no such section */
  templates?: Record<string, PolicyTemplate>;
}

/** One chat template as written in the policy file (see the module comment). */
export interface PolicyTemplate {
  members?: string[];
  admins?: string[];
  settings?: {
    searchable?: OnOff;
    validation?: OnOff;
    'mention-all'?: Who;
    management?: Who;
    mute?: OnOff;
    history?: OnOff;
  };
  'private-chat'?: OnOff;
  nicks?: Record<string, string>;
  roles?: string[];
}

type OnOff = 'on' | 'off';
type Who = 'everyone' | 'owner';

/** One thing wrong with a policy file, at a JSON path such as `$.commands["chat create"].role`. */
export interface PolicyProblem {
  path: string;
  message: string;
}

/** A policy file that cannot be used; the message lists every problem with its JSON path. */
export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly PolicyProblem[],
  ) {
    super(
      `Invalid policy file ${file}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}\n` +
        'Fix the file (or unset BOT_POLICY_FILE) and start again.',
    );
    this.name = 'PolicyError';
  }
}

const roleName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'role names are lower-case letters, digits, _ and - (at most 32)');
const commandName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)?$/, 'command names are one or two lower-case words');
const optionName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'option names are lower-case words such as owner or mention-all');
// Same rule as BOT_ADMINS / BOT_LEADS in config.ts.
const userId = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_.\-$]+$/, 'userIds may hold letters, digits, _ . - $ only');

const roleSchema = z.strictObject({ commands: z.array(commandName) });

const templateName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'template names are lower-case letters, digits, _ and - (at most 32)');
/** A user as typed in a command; what can be told without the directory is checked here. */
const templateUser = z
  .string()
  .trim()
  .min(1, 'a user cannot be empty')
  .max(100, 'a user is at most 100 characters')
  .superRefine((text, ctx) => {
    const w = typedPerson(text, 'me');
    if (w instanceof UserError) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" names no one: write dept:<name>, a name or a userId`,
      });
    }
  });
const onOff = z.enum(['on', 'off']);
const who = z.enum(['everyone', 'owner']);
const templateSchema = z.strictObject({
  members: z.array(templateUser).exactOptional(),
  admins: z.array(templateUser).exactOptional(),
  settings: z
    .strictObject({
      searchable: onOff.exactOptional(),
      validation: onOff.exactOptional(),
      'mention-all': who.exactOptional(),
      management: who.exactOptional(),
      mute: onOff.exactOptional(),
      history: onOff.exactOptional(),
    })
    .exactOptional(),
  'private-chat': onOff.exactOptional(),
  nicks: z
    .record(templateUser, z.string().trim().min(1, 'a nickname cannot be empty').max(100))
    .exactOptional(),
  roles: z.array(roleName).min(1, 'list at least one role, or leave "roles" out').exactOptional(),
});
const commandRuleSchema = z.strictObject({
  role: roleName.exactOptional(),
  risky: z.boolean().exactOptional(),
  forbiddenOptions: z.record(roleName, z.array(optionName)).exactOptional(),
});

const isBuiltin = (r: string): boolean => (BUILTIN_ROLES as readonly string[]).includes(r);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks that every role a policy names exists. Written against the raw value so that it runs
 * (and reports) even when other parts of the file have the wrong shape.
 */
function checkRoleReferences(raw: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(raw)) return;
  const defined = new Set(isRecord(raw.roles) ? Object.keys(raw.roles) : []);
  const known = (r: string): boolean => isBuiltin(r) || defined.has(r);
  const issue = (path: (string | number)[], message: string): void =>
    ctx.addIssue({ code: 'custom', path, message });

  for (const r of defined) {
    if (isBuiltin(r)) issue(['roles', r], `"${r}" is a built-in role; define only new roles here`);
  }
  if (isRecord(raw.users)) {
    for (const r of Object.keys(raw.users)) {
      if (r === 'everyone') issue(['users', r], 'everyone holds "everyone"; it needs no list');
      else if (!known(r)) issue(['users', r], `unknown role "${r}": define it under "roles"`);
    }
  }
  if (isRecord(raw.commands)) {
    for (const [cmd, rule] of Object.entries(raw.commands)) {
      if (!isRecord(rule)) continue;
      if (typeof rule.role === 'string' && !known(rule.role)) {
        issue(['commands', cmd, 'role'], `unknown role "${rule.role}": define it under "roles"`);
      }
      if (isRecord(rule.forbiddenOptions)) {
        for (const r of Object.keys(rule.forbiddenOptions)) {
          if (!known(r)) {
            issue(['commands', cmd, 'forbiddenOptions', r], `unknown role "${r}": define it under "roles"`);
          }
        }
      }
    }
  }
  if (isRecord(raw.templates)) {
    for (const [name, tpl] of Object.entries(raw.templates)) {
      if (!isRecord(tpl) || !Array.isArray(tpl.roles)) continue;
      tpl.roles.forEach((r: unknown, i) => {
        if (typeof r === 'string' && !known(r))
          issue(['templates', name, 'roles', i], `unknown role "${r}": define it under "roles"`);
      });
    }
  }
}

/**
 * The zod schema of a policy file (format in the module comment). Shapes, names and role
 * references are all checked, and every problem is reported, not just the first.
 */
export const policySchema: z.ZodType<Policy> = z
  .strictObject({
    roles: z.record(roleName, roleSchema).default({}),
    users: z.record(roleName, z.array(userId)).default({}),
    commands: z.record(commandName, commandRuleSchema).default({}),
    templates: z.record(templateName, templateSchema).exactOptional(),
  })
  // `when` makes the reference check run even when the shape check already failed.
  .superRefine((p, ctx) => checkRoleReferences(p, ctx), { when: () => true });

/** A policy that adds nothing: the built-in roles and the specs' own rules apply. */
export function emptyPolicy(): Policy {
  return { roles: {}, users: {}, commands: {} };
}

/** Formats a zod issue path as a JSON path: `$.commands["chat create"].role`, `$.users.lead[2]`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/**
 * Reads and validates the policy file. `undefined` (BOT_POLICY_FILE unset) gives the empty
 * policy. Throws {@link PolicyError} when the file cannot be read, is not JSON, or breaks the schema.
 */
export function loadPolicy(path: string | undefined, commandNames?: readonly string[]): Policy {
  if (path === undefined) return emptyPolicy();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new PolicyError(path, [{ path: '$', message: `cannot read the file (${code})` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(path, [{ path: '$', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const parsed = policySchema.safeParse(json);
  // Every problem at once: the names of commands are checked even when the shape is wrong.
  const unknown = commandNames === undefined ? [] : unknownPolicyCommands(rawNames(json), commandNames);
  if (!parsed.success) {
    throw new PolicyError(path, [
      ...parsed.error.issues.map((i) => ({
        path: jsonPath(i.path),
        // A bad record key: say which rule the key breaks, not just "Invalid key in record".
        message: i.code === 'invalid_key' ? (i.issues[0]?.message ?? i.message) : i.message,
      })),
      ...unknown,
    ]);
  }
  if (unknown.length > 0) throw new PolicyError(path, unknown);
  return parsed.data;
}

/** The command names a file's JSON mentions, read as far as its shape allows. */
function rawNames(json: unknown): Pick<Policy, 'roles' | 'commands'> {
  const obj = (v: unknown): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const roles: Record<string, { commands: string[] }> = {};
  for (const [role, def] of Object.entries(obj(obj(json).roles))) {
    const list = obj(def).commands;
    roles[role] = {
      commands: Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string') : [],
    };
  }
  return { roles, commands: obj(obj(json).commands) } as unknown as Pick<Policy, 'roles' | 'commands'>;
}

/**
 * Names in the policy that match no command: a misspelt risky or role rule would otherwise be
 * ignored without a word. Call at start-up with the loaded specs' names and throw a
 * {@link PolicyError} when the list is not empty.
 */
export function unknownPolicyCommands(
  policy: Pick<Policy, 'roles' | 'commands'>,
  commandNames: readonly string[],
): PolicyProblem[] {
  const known = new Set(commandNames);
  const problems: PolicyProblem[] = [];
  for (const [role, def] of Object.entries(policy.roles)) {
    def.commands.forEach((c, i) => {
      if (!known.has(c))
        problems.push({ path: jsonPath(['roles', role, 'commands', i]), message: `no command "${c}"` });
    });
  }
  for (const c of Object.keys(policy.commands)) {
    if (!known.has(c)) problems.push({ path: jsonPath(['commands', c]), message: `no command "${c}"` });
  }
  return problems;
}

/** A policy template in the words commands use (`on` -> true, `mention-all` -> mentionAll). */
export function chatTemplate(name: string, t: PolicyTemplate): ChatTemplate {
  const on = (v: OnOff | undefined): boolean | undefined => (v === undefined ? undefined : v === 'on');
  const s = t.settings ?? {};
  const settings: ChatTemplate['settings'] = {};
  const flags = { searchable: s.searchable, validation: s.validation, mute: s.mute, history: s.history };
  for (const [k, v] of Object.entries(flags)) {
    const b = on(v);
    if (b !== undefined) settings[k as keyof typeof flags] = b;
  }
  if (s['mention-all'] !== undefined) settings.mentionAll = s['mention-all'];
  if (s.management !== undefined) settings.management = s.management;
  return {
    name,
    members: t.members ?? [],
    admins: t.admins ?? [],
    settings,
    privateChat: on(t['private-chat']),
    nicks: Object.entries(t.nicks ?? {}),
  };
}

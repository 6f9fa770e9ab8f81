/**
 * The chain of steps one command goes through (architecture.md §2), in the manner of grammY's
 * composer and Bolt's middleware: each step reads and fills the {@link Turn}, then calls `next`
 * to go on, or sets `turn.outcome` and returns to stop. Each step is its own file.
 */
import type { Logger } from 'pino';
import type { GroupApi } from '../../dingtalk/types.ts';
import type { Metrics } from '../../health.ts';
import type { JournalWrite, Store } from '../../store/types.ts';
import type { AuditReason, AuditTrail } from '../audit.ts';
import type { Authorizer } from '../auth.ts';
import { shownArgs } from '../bind.ts';
import type { Confirmations } from '../confirm.ts';
import type { Directory } from '../directory.ts';
import type { Jobs } from '../jobs.ts';
import type { Token } from '../parse.ts';
import type { Draft, Plan, PlanWhen } from '../plan.ts';
import type { CommandRegistry } from '../registry.ts';
import type { CommandSpec, IncomingMessage, Locale, PeopleView, Reply, Translate } from '../types.ts';

/** What the steps share: the bot's parts, built once. */
export interface Deps {
  store: Store;
  groups: GroupApi;
  commands: CommandRegistry;
  authorizer: Authorizer;
  confirmations: Confirmations;
  audit: AuditTrail;
  directory: Directory;
  people: PeopleView;
  metrics: Metrics | undefined;
  replicaId: string;
  commandTimeoutMs: number;
  /** BOT_TIMEZONE */
  timeZone: string;
  now: () => number;
  /** scheduled changes (`at=`, `until=`, `/chat jobs`); none in unit worlds that do not need them */
  jobs?: Jobs;
  /** Sends a reply to `msg` besides its one answer (a batch says it started); none in unit tests. */
  notify?: (msg: IncomingMessage, reply: Reply) => Promise<void>;
}

/** What the audit records of one turn. */
export interface AuditEntry {
  command: string;
  chatId?: string;
  args?: unknown;
  outcome: 'allowed' | 'refused' | 'failed' | 'confirmed' | 'pending';
  reason?: AuditReason;
  errcode?: string;
}

/** The reply and what to audit. */
export interface Outcome {
  reply: Reply;
  audit?: AuditEntry;
}

/** One message on its way through the chain. */
export interface Turn {
  readonly msg: IncomingMessage;
  /** the message's dedupe key: also the key of its run in the write journal */
  readonly key: string;
  log: Logger;
  readonly locale: Locale;
  readonly t: Translate;
  /** when the command's time is up (commandTimeoutMs after it was taken): lookups, previews and the handler share it */
  readonly deadline: number;
  /** aborts at {@link deadline} */
  readonly signal: AbortSignal;
  /** the command matched (route), or the one a stored plan names (pending) */
  spec?: CommandSpec<unknown>;
  /** the words after the command's name */
  rest?: readonly Token[];
  /** bound, with typed people not yet resolved (bind) */
  draft?: Draft;
  /** bound and resolved (bind or resolve), or read back from a confirmation or pick (pending) */
  plan?: Plan;
  /** the plan came from the store (a confirmation or a pick): authorization is checked again */
  stored?: boolean;
  /** the command whose role was checked (authorizeRole runs before and after pending) */
  roleChecked?: CommandSpec<unknown>;
  /** the code it was confirmed with */
  confirmedWith?: string;
  /** the chat a command without a `<chat>` concerned (ctx.concerns), e.g. the one a create made */
  concerned?: string;
  /** `at=` / `until=` read from the words (when.ts), before the command is bound */
  when?: PlanWhen;
  /** the turn runs a job (scheduler.ts): its id, not a message */
  job?: { id: number; dueAt: number };
  /** a run carried on after a crash: the writes its earlier attempt made (journal.ts) */
  replay?: JournalWrite[];
  /** lines told before the result, e.g. that a pending pick was dropped */
  notices: string[];
  outcome?: Outcome;
}

export type Next = () => Promise<void>;
export type Step = (turn: Turn, next: Next) => Promise<void>;

/** One step made of `steps` in order; each decides whether the next one runs. */
export function compose(steps: readonly Step[]): Step {
  return (turn, last) => {
    const at = (i: number): Promise<void> => {
      const step = steps[i];
      if (step === undefined) return last();
      let called = false;
      return step(turn, () => {
        if (called) throw new Error(`a step called next() twice (step ${i})`);
        called = true;
        return at(i + 1);
      });
    };
    return at(0);
  };
}

/** What the audit of this turn starts from: the command, its chat and its arguments so far. */
export function auditBase(turn: Turn): Pick<AuditEntry, 'command' | 'chatId' | 'args'> {
  const command = turn.plan?.command ?? turn.draft?.command ?? turn.spec?.name ?? '';
  const chat = turn.plan?.chat ?? turn.draft?.chat;
  const chatId = chat?.chatId ?? turn.concerned;
  const args = turn.plan?.args ?? (turn.draft ? shownArgs(turn.draft.pre) : undefined);
  return {
    command,
    ...(chatId !== undefined ? { chatId } : {}),
    ...(args !== undefined ? { args } : {}),
  };
}

/** Ends the turn with `reply`, audited as `outcome` when given. */
export function end(
  turn: Turn,
  reply: Reply,
  audit?: Omit<AuditEntry, 'command'> & { command?: string },
): void {
  turn.outcome = audit === undefined ? { reply } : { reply, audit: { ...auditBase(turn), ...audit } };
}

/** Echoed input is cut short (the binder's rule, one place). */
export { clip } from '../bind-kit.ts';

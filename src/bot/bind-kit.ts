/**
 * What the binder's parts share: the context a binding reads, a user slot, a step's result and
 * its failure, and how typed input is echoed.
 */
import type { RegistryStore, TagStore } from '../store/types.ts';
import { type IncomingMessage, UserError } from './types.ts';

export interface BindContext {
  message: IncomingMessage;
  caller: { userId: string };
  registry: RegistryStore;
  /** tags, for `tag:<tag>` sets; without it a tag set finds no chat */
  tags?: Pick<TagStore, 'chats'>;
}

/** A user slot before resolution: a known userId (picked mention, `me`) or an index into `refs`. */
export type Slot = { userId: string } | { ref: number };

/** A part of a binding: its value, or the UserError to show. */
export type Step<T> = { ok: true; value: T } | { ok: false; error: UserError };

export const fail = (
  code: string,
  params: Record<string, string | number> = {},
): { ok: false; error: UserError } => ({
  ok: false,
  error: new UserError(code, params),
});

/** Echoed input is cut short. */
export function clip(s: string, max = 40): string {
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : s;
}

/** Memory figures of the current process (used by the bot under test, bench/bot.ts). */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | undefined;

/**
 * `global.gc` when node runs with --expose-gc (the bench starts the bot's process so); otherwise
 * the flag is switched on at run time (`v8.setFlagsFromString`) and `gc` taken from a fresh
 * context. Undefined if neither works.
 */
export function getGc(): (() => void) | undefined {
  if (gcFn) return gcFn;
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') {
    gcFn = g;
    return gcFn;
  }
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    if (typeof fn === 'function') gcFn = fn as () => void;
  } catch {
    gcFn = undefined;
  }
  return gcFn;
}

/** heapUsed after two full collections (or without, when gc is unavailable), in bytes. */
export async function settledHeap(): Promise<number> {
  const gc = getGc();
  if (gc) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Peak resident set of this process so far, in bytes: VmHWM of /proc/self/status on Linux (the
 * high-water mark of this process's own address space), else getrusage maxrss (which on Linux
 * may also keep the peak of the forked copy of the parent before exec).
 */
export function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

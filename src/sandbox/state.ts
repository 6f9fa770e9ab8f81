/**
 * The sandbox's files in `<BOT_DATA_DIR>/sandbox/`: the demo org (`sandbox-org.json`), the bot's
 * own database and its log. Kept apart from the live bot's `bot.sqlite` so that trying the
 * sandbox never puts demo chats in a real registry.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Org } from '../emulator/index.ts';
import { exportOrg, type OrgSnapshot } from '../emulator/snapshot.ts';
import { storePath } from '../store/index.ts';

export interface SandboxPaths {
  dir: string;
  org: string;
  log: string;
  db: string;
}

export function sandboxPaths(dataDir: string): SandboxPaths {
  const dir = join(dataDir, 'sandbox');
  return {
    dir,
    org: join(dir, 'sandbox-org.json'),
    log: join(dir, 'sandbox.log'),
    db: storePath(dir),
  };
}

const settings = z.object({
  searchable: z.number(),
  validationType: z.number(),
  mentionAllAuthority: z.number(),
  managementType: z.number(),
  chatBannedType: z.number(),
  showHistoryType: z.number(),
});

const snapshotSchema = z.object({
  version: z.literal(1),
  corpId: z.string(),
  users: z.array(
    z.object({
      userId: z.string(),
      nick: z.string(),
      isOrgAdmin: z.boolean(),
      dingtalkId: z.string(),
      // the contact directory; missing in files saved before it existed
      name: z.string().optional(),
      englishName: z.string().optional(),
      mobile: z.string().optional(),
      title: z.string().optional(),
      deptIds: z.array(z.number().int()).optional(),
    }),
  ),
  departments: z
    .array(z.object({ deptId: z.number().int(), name: z.string(), parentId: z.number().int().nullable() }))
    .optional(),
  chats: z.array(
    z.object({
      chatId: z.string(),
      openConversationId: z.string(),
      name: z.string(),
      owner: z.string(),
      members: z.array(z.string()),
      admins: z.array(z.string()),
      nicks: z.record(z.string(), z.string()),
      settings,
      privateChatProhibited: z.boolean(),
      createdByApi: z.boolean(),
      botInChat: z.boolean(),
      status: z.number(),
      conversationTag: z.number(),
      icon: z.string(),
    }),
  ),
  joinLinks: z.record(z.string(), z.object({ key: z.string(), link: z.string() })),
});

const fileSchema = z.object({ version: z.literal(1), savedAt: z.string(), org: snapshotSchema });

/** What reading the saved org gave: nothing saved, a snapshot, or a file that could not be used. */
export type LoadResult =
  | { kind: 'none' }
  | { kind: 'loaded'; snapshot: OrgSnapshot }
  | { kind: 'unreadable'; reason: string };

export function loadOrg(paths: SandboxPaths): LoadResult {
  if (!existsSync(paths.org)) return { kind: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(paths.org, 'utf8'));
  } catch (err) {
    return { kind: 'unreadable', reason: (err as Error).message };
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      kind: 'unreadable',
      reason: `${first?.path.join('.') || '(file)'}: ${first?.message ?? 'bad shape'}`,
    };
  }
  return { kind: 'loaded', snapshot: parsed.data.org as OrgSnapshot };
}

/** Writes the org atomically (temp file + rename), so a crash never leaves half a file. */
export function saveOrg(paths: SandboxPaths, org: Org): void {
  mkdirSync(paths.dir, { recursive: true });
  const tmp = `${paths.org}.tmp`;
  const body = { version: 1, savedAt: new Date().toISOString(), org: exportOrg(org) };
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(tmp, paths.org);
}

/** Forgets the saved org and the bot's database (with its WAL files); the log stays. */
export function resetState(paths: SandboxPaths): void {
  for (const f of [paths.org, paths.db, `${paths.db}-wal`, `${paths.db}-shm`]) rmSync(f, { force: true });
}

/** Keeps an unusable org file beside the new one instead of overwriting it. */
export function setAsideBroken(paths: SandboxPaths): string {
  const aside = `${paths.org}.broken-${Date.now()}`;
  renameSync(paths.org, aside);
  return aside;
}

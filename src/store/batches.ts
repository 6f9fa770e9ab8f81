/** The store's tags on chats and the progress of commands run over sets of chats (issue 21). */
import type { Kysely } from 'kysely';
import { changed, record } from './rows.ts';
import type { DB } from './schema.ts';
import type { BatchItem, BatchRecord, BatchStore, TagStore } from './types.ts';

const toBatch = (r: DB['batches']): BatchRecord => record(r);
const toItem = (r: DB['batch_items']): BatchItem => ({
  ...record(r),
  seq: Number(r.seq),
  changeId: r.changeId === null ? undefined : Number(r.changeId),
});

export function tagStore(db: Kysely<DB>): TagStore {
  return {
    add: async (chatId, tag, addedBy, at = Date.now()) =>
      (await changed(
        db
          .insertInto('chat_tags')
          .values({ chatId, tag, addedBy, addedAt: at })
          .onConflict((oc) => oc.columns(['chatId', 'tag']).doNothing()),
      )) === 1,
    remove: async (chatId, tag) =>
      (await changed(db.deleteFrom('chat_tags').where('chatId', '=', chatId).where('tag', '=', tag))) === 1,
    chats: async (tag) =>
      (
        await db
          .selectFrom('chat_tags')
          .select('chatId')
          .where('tag', '=', tag)
          .orderBy('addedAt')
          .orderBy('chatId')
          .execute()
      ).map((r) => r.chatId),
    async of(chatIds) {
      const out = new Map<string, string[]>();
      if (chatIds.length === 0) return out;
      const rows = await db
        .selectFrom('chat_tags')
        .select(['chatId', 'tag'])
        .where('chatId', 'in', [...chatIds])
        .orderBy('tag')
        .execute();
      for (const r of rows) out.set(r.chatId, [...(out.get(r.chatId) ?? []), r.tag]);
      return out;
    },
  };
}

export function batchStore(db: Kysely<DB>): BatchStore {
  return {
    start: async (b) =>
      (await changed(
        db
          .insertInto('batches')
          .values({ ...b, finishedAt: null, undoneAt: null })
          .onConflict((oc) => oc.column('key').doNothing()),
      )) === 1,
    get: async (key) => {
      const r = await db.selectFrom('batches').selectAll().where('key', '=', key).executeTakeFirst();
      return r && toBatch(r);
    },
    async finish(key, now) {
      await db
        .updateTable('batches')
        .set({ finishedAt: now })
        .where('key', '=', key)
        .where('finishedAt', 'is', null)
        .execute();
    },
    async setItem(item) {
      const row = { ...item, detail: item.detail ?? null, changeId: item.changeId ?? null };
      await db
        .insertInto('batch_items')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['batchKey', 'chatId']).doUpdateSet({
            state: row.state,
            detail: row.detail,
            changeId: row.changeId,
            at: row.at,
          }),
        )
        .execute();
    },
    items: async (key) =>
      (
        await db.selectFrom('batch_items').selectAll().where('batchKey', '=', key).orderBy('seq').execute()
      ).map(toItem),
    byChange: async (changeId) => {
      const r = await db
        .selectFrom('batches as b')
        .innerJoin('batch_items as i', 'i.batchKey', 'b.key')
        .selectAll('b')
        .where('i.changeId', '=', changeId)
        .executeTakeFirst();
      return r && toBatch(r);
    },
    markUndone: async (key, now) =>
      (await changed(
        db.updateTable('batches').set({ undoneAt: now }).where('key', '=', key).where('undoneAt', 'is', null),
      )) === 1,
    async unmarkUndone(key) {
      await db.updateTable('batches').set({ undoneAt: null }).where('key', '=', key).execute();
    },
    // Items go with their batch (ON DELETE CASCADE).
    prune: async (before) =>
      await changed(
        db.deleteFrom('batches').where('startedAt', '<', before).where('finishedAt', 'is not', null),
      ),
  };
}

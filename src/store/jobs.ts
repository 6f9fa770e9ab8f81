/** The store's scheduled changes (`at=`, `until=`): one row per job, claimed by compare-and-set. */
import { type Kysely, type Selectable, sql } from 'kysely';
import { changed, record } from './rows.ts';
import type { DB } from './schema.ts';
import type { Dialect } from './store.ts';
import type { JobRecord, JobStore } from './types.ts';

const toJob = (r: Selectable<DB['jobs']>): JobRecord => record(r);

export function jobStore(db: Kysely<DB>, d: Pick<Dialect, 'now'>): JobStore {
  return {
    add: async (j) =>
      (
        await db
          .insertInto('jobs')
          .values({ ...j, chatId: j.chatId ?? null, state: 'pending' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
    get: async (id) => {
      const r = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toJob(r);
    },
    async pending(userId) {
      let q = db.selectFrom('jobs').selectAll().where('state', '=', 'pending');
      if (userId !== undefined) q = q.where('userId', '=', userId);
      return (await q.orderBy('dueAt').orderBy('id').execute()).map(toJob);
    },
    due: async (now, limit) =>
      (
        await db
          .selectFrom('jobs')
          .selectAll()
          .where('state', '=', 'pending')
          .where('dueAt', '<=', now)
          .orderBy('dueAt')
          .orderBy('id')
          .limit(Math.max(0, Math.trunc(limit)))
          .execute()
      ).map(toJob),
    // One UPDATE decides: of replicas racing for a job, one moves it from pending.
    claim: async (id, replicaId, now) =>
      (await changed(
        db
          .updateTable('jobs')
          .set({ state: 'running', replicaId, startedAt: now })
          .where('id', '=', id)
          .where('state', '=', 'pending'),
      )) === 1,
    cancel: async (id, now) =>
      (await changed(
        db
          .updateTable('jobs')
          .set({ state: 'cancelled', finishedAt: now })
          .where('id', '=', id)
          .where('state', '=', 'pending'),
      )) === 1,
    finish: async (id, replicaId, result, now) =>
      (await changed(
        db
          .updateTable('jobs')
          .set({ state: 'done', result, finishedAt: now })
          .where('id', '=', id)
          .where('state', '=', 'running')
          .where('replicaId', '=', replicaId),
      )) === 1,
    async markNotified(id, now) {
      await db
        .updateTable('jobs')
        .set({ notifiedAt: now })
        .where('id', '=', id)
        .where('notifiedAt', 'is', null)
        .execute();
    },
    orphaned: async (self, deadAfterMs, limit = 100) =>
      (
        await db
          .selectFrom('jobs as j')
          .leftJoin('replicas as r', 'r.id', 'j.replicaId')
          .selectAll('j')
          .where((eb) =>
            eb.or([
              eb('j.state', '=', 'running'),
              eb.and([eb('j.state', '=', 'done'), eb('j.notifiedAt', 'is', null)]),
            ]),
          )
          .where('j.replicaId', 'is not', null)
          .where('j.replicaId', '<>', self)
          .where((eb) =>
            eb.or([
              eb('r.id', 'is', null),
              eb('r.beatAt', '<', sql<number>`${d.now()} - ${Math.trunc(deadAfterMs)}`),
            ]),
          )
          .orderBy('j.dueAt')
          .orderBy('j.id')
          .limit(Math.max(0, Math.trunc(limit)))
          .execute()
      ).map(toJob),
    adopt: async (id, from, to) =>
      (await changed(
        db
          .updateTable('jobs')
          .set({ replicaId: to })
          .where('id', '=', id)
          .where('state', 'in', ['running', 'done'])
          .where('replicaId', '=', from),
      )) === 1,
    prune: async (before) =>
      await changed(
        db.deleteFrom('jobs').where('state', 'in', ['done', 'cancelled']).where('finishedAt', '<', before),
      ),
  };
}

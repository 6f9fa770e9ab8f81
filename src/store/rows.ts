/** Small helpers every part of the store uses on rows and writes. */

type Changes = { numDeletedRows?: bigint; numUpdatedRows?: bigint; numInsertedOrUpdatedRows?: bigint };

/** How many rows a write changed. */
export const changed = async (q: { executeTakeFirst(): Promise<object> }): Promise<number> => {
  const r = (await q.executeTakeFirst()) as Changes;
  return Number(r.numDeletedRows ?? r.numUpdatedRows ?? r.numInsertedOrUpdatedRows ?? 0);
};

/** A row as its record: NULL is an absent field. */
export const record = <T extends object>(r: T) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? undefined])) as {
    [K in keyof T]: null extends T[K] ? Exclude<T[K], null> | undefined : T[K];
  };

/**
 * vitest global setup: one PostgreSQL server per test run. TEST_DATABASE_URL, when set, is used
 * as is; otherwise a throwaway cluster is started and removed at the end. A failure is handed to
 * the tests (which then fail with it) instead of aborting the run, so non-PostgreSQL tests still
 * report.
 */
import type { TestProject } from 'vitest/node';
import { type Cluster, startCluster } from './pg-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** superuser-ish URL tests create their databases with; '' when there is none */
    pgAdminUrl: string;
    /** why there is no server ('' when there is one) */
    pgUnavailable: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL?.trim() ?? '';
  let cluster: Cluster | undefined;
  if (given !== '') {
    project.provide('pgAdminUrl', given);
    project.provide('pgUnavailable', '');
  } else {
    try {
      cluster = await startCluster();
      project.provide('pgAdminUrl', cluster.url);
      project.provide('pgUnavailable', '');
    } catch (err) {
      project.provide('pgAdminUrl', '');
      project.provide('pgUnavailable', err instanceof Error ? err.message : String(err));
    }
  }
  return async () => {
    await cluster?.stop();
  };
}

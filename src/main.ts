/**
 * `npm start` (tsx): live mode with credentials, the sandbox without them.
 * The production bundle is `src/prod.ts`.
 */
import { runMain } from './entry.ts';

runMain(process.argv.slice(2), () => import('./sandbox/index.ts'));

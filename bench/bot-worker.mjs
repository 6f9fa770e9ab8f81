// Entry of the worker thread that runs the bot under test (bench/remote.ts). On Node 20 a worker
// neither inherits the tsx hooks registered in the main thread nor applies `--import tsx` from
// its execArgv to its entry file ("Unknown file extension .ts"), so it registers tsx itself and
// then imports the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./bot.ts');

/**
 * The production entry, bundled by `npm run build` into `dist/main.js` (`npm run start:prod`, the
 * systemd unit): live mode only. Without credentials it exits 1 instead of starting the sandbox,
 * which this bundle does not contain.
 */
import { runMain } from './entry.ts';

runMain(process.argv.slice(2), undefined);

/**
 * `npm run emulator [-- --port N] [--users file.json]`: a standalone emulator with a small demo org.
 * Prints the settings to paste, one NAME=value line each.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Emulator } from './emulator.ts';
import type { SeedUser } from './types.ts';

const HELP = `Usage: npm run emulator -- [--port N] [--users users.json]

Starts an in-process DingTalk on 127.0.0.1 (oapi + api paths on one base URL, the Stream
gateway and WebSocket) with a demo org, and prints the settings for the bot:
  DINGTALK_CLIENT_ID=…  DINGTALK_CLIENT_SECRET=…  DINGTALK_API_BASE=…  DINGTALK_OAPI_BASE=…

Options:
  --port N          listen port (default 0 = any free port)
  --users FILE      JSON array of {"userId","nick","isOrgAdmin"?} replacing the demo users
  -h, --help        this text

Driving it with curl (replace PORT):
  # a 1:1 message from alice
  curl -s -XPOST localhost:PORT/_emulator/say -H 'content-type: application/json' \\
       -d '{"from":"alice","text":"/help"}'
  # a group message @-ing the bot and picking bob with the @ picker
  curl -s -XPOST localhost:PORT/_emulator/say -H 'content-type: application/json' \\
       -d '{"from":"alice","text":"/chat add @bob","chat":"<chatId>","mentions":["bob"]}'
  curl -s localhost:PORT/_emulator/replies     # every reply the bot sent
  curl -s localhost:PORT/_emulator/state       # users, chats, stream connections
`;

const DEMO_USERS: SeedUser[] = [
  { userId: 'admin', nick: 'Ada Admin', isOrgAdmin: true },
  { userId: 'alice', nick: 'Alice Wang' },
  { userId: 'bob', nick: 'Bob Li' },
  { userId: 'carol', nick: 'Carol Zhang' },
  { userId: 'dave', nick: 'Dave Chen' },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      users: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port: ${values.port}`);
  const users = values.users ? (JSON.parse(readFileSync(values.users, 'utf8')) as SeedUser[]) : DEMO_USERS;
  const emu = await Emulator.start({ port, users });
  const ids = users.map((u) => u.userId);
  const chat = emu.org.addChat({ name: 'Demo group', owner: ids[0] ?? 'admin', members: ids.slice(0, 3) });
  for (const [k, v] of Object.entries(emu.env())) process.stdout.write(`${k}=${v}\n`);
  process.stdout.write(
    `# emulator on ${emu.baseUrl}; users: ${ids.join(', ')}; demo group ${chat.chatId} (${chat.name})\n`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emu.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`emulator: ${(err as Error).message}`);
  process.exit(1);
});

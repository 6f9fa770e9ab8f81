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
The demo org: users admin (org admin), alice, bob, carol, dave, and the group "Demo group"
(owner alice, with bob and carol) that the bot is in. Chats the bot creates contain the bot.

Options:
  --port N          listen port (default 0 = any free port)
  --users FILE      JSON array of {"userId","nick","isOrgAdmin"?} replacing the demo users
                    (the demo group is then owned by the first, with the next two)
  -h, --help        this text

Driving it with curl: start the bot with the printed settings and BOT_LEADS=alice, then
(replace PORT, and CHATID with the demo group's chatId printed at start):
  # a 1:1 message from alice
  curl -s -XPOST localhost:PORT/_emulator/say -H 'content-type: application/json' \\
       -d '{"from":"alice","text":"/whoami"}'
  # alice, the group's owner, links the demo group once so that the bot knows it
  curl -s -XPOST localhost:PORT/_emulator/say -H 'content-type: application/json' \\
       -d '{"from":"alice","text":"/chat link CHATID","chat":"CHATID"}'
  # a group message @-ing the bot and picking bob with the @ picker
  curl -s -XPOST localhost:PORT/_emulator/say -H 'content-type: application/json' \\
       -d '{"from":"alice","text":"/chat admin add @bob","chat":"CHATID","mentions":["bob"]}'
  # take the bot out of a chat ("in":true puts it back)
  curl -s -XPOST localhost:PORT/_emulator/bot -H 'content-type: application/json' \\
       -d '{"chat":"CHATID","in":false}'
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
/** Owned by alice, whom the documented steps make a lead (BOT_LEADS=alice), so she can link it. */
const DEMO_GROUP = { name: 'Demo group', owner: 'alice', members: ['alice', 'bob', 'carol'] };

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
  // As in DingTalk, the robot is a member of the groups its app creates.
  const emu = await Emulator.start({ port, users, botJoinsCreatedChats: true });
  const ids = users.map((u) => u.userId);
  const chat = emu.org.addChat(
    values.users ? { name: DEMO_GROUP.name, owner: ids[0] ?? '', members: ids.slice(0, 3) } : DEMO_GROUP,
  );
  for (const [k, v] of Object.entries(emu.env())) process.stdout.write(`${k}=${v}\n`);
  process.stdout.write(
    `# emulator on ${emu.baseUrl}; users: ${ids.join(', ')}; demo group ${chat.chatId} ` +
      `(${chat.name}, owner ${chat.owner}, members ${chat.members.join(', ')})\n`,
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

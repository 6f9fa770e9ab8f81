/** `npm start` ships the demo policy's chat template: it can be listed and used at once. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replyTo, runScript } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dgb-sandbox-tpl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the sandbox demo template', () => {
  it('/chat templates shows it and /chat create … template=project applies it', {
    timeout: 60_000,
  }, async () => {
    const r = await runScript(dir, '/chat templates\n/chat create "Sprint 1" template=project\n');
    expect(r.code, r.stderr).toBe(0);
    const list = replyTo(r.stdout, '/chat templates');
    expect(list).toContain('1 template you may use:');
    expect(list).toContain('members: dept:Design, Dave Zhou');
    const created = replyTo(r.stdout, '/chat create "Sprint 1" template=project');
    expect(created).toContain('Created Sprint 1 with 6 members; owner 李伟 (lead1).');
    expect(created).toContain('admins: 林芳 (lead2): done');
    expect(created).toContain('private-chat: off: done');
    expect(created).toContain('nickname of 林芳 (lead2): “Design Lead”: done');
    expect(created).toContain('nickname of 李伟 (lead1): “PM”: done');
    // The saved org holds what the steps did.
    type Saved = {
      org: {
        chats: {
          name: string;
          admins: string[];
          nicks: Record<string, string>;
          privateChatProhibited: boolean;
        }[];
      };
    };
    const saved = JSON.parse(readFileSync(join(dir, 'sandbox', 'sandbox-org.json'), 'utf8')) as Saved;
    const chat = saved.org.chats.find((c) => c.name === 'Sprint 1');
    expect(chat?.admins).toEqual(['lead2']);
    expect(chat?.nicks).toEqual({ lead2: 'Design Lead', lead1: 'PM' });
    expect(chat?.privateChatProhibited).toBe(true);
  });
});

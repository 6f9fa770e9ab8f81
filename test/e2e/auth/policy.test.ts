/** A policy file in force end to end: extra roles, per-command overrides, forbidden options, risky marks. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('policy file', () => {
  let h: Harness;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgb-policy-'));
    const file = join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        roles: { auditor: { commands: ['audit'] } },
        users: { auditor: ['erin'], lead: ['dave'] },
        commands: {
          'chat create': { forbiddenOptions: { lead: ['owner'] } },
          'chat rename': { risky: true },
          'chat cid': { role: 'admin' },
        },
      }),
    );
    h = await startHarness({ env: { BOT_POLICY_FILE: file } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('an extra role grants only its commands', async () => {
    expect(await h.say('erin', '/audit 1')).not.toContain('needs the role');
    expect(await h.say('erin', '/chat list')).toContain('needs the role lead');
  });

  it('users listed under a built-in role get it', async () => {
    expect(await h.say('dave', '/whoami')).toMatch(/lead/);
  });

  it('a lead may not use an option the policy forbids, and DingTalk receives nothing', async () => {
    const before = h.emu.requests.length;
    const reply = await h.say('lead1', '/chat create "Policy Team" alice owner=alice');
    expect(reply).toContain('does not allow the option');
    expect(reply).toContain('owner');
    expect(h.emu.requests.slice(before).filter((r) => r.endpoint.includes('create'))).toHaveLength(0);
    // Admins are not bound by the lead's list.
    expect(await h.say('admin1', '/chat create "Policy Team" alice owner=alice')).toMatch(/chat[0-9a-f]{32}/);
  });

  it('a command the policy marks risky asks for confirmation', async () => {
    const chat = h.emu.org.addChat({ name: 'Policy', owner: 'lead1', members: ['lead1', 'alice'] });
    const reply = await h.say('lead1', `/chat rename ${chat.chatId} Careful`);
    expect(reply).toMatch(/\/confirm [A-Z0-9]{6}/);
    expect(h.emu.org.chat(chat.chatId)?.name).toBe('Policy');
  });

  it('a per-command role override raises the bar', async () => {
    const chat = h.emu.org.addChat({ name: 'Cid', owner: 'lead1', members: ['lead1', 'alice'] });
    expect(await h.say('lead1', `/chat cid ${chat.chatId}`)).toContain('needs the role admin');
    expect(await h.say('admin1', `/chat cid ${chat.chatId}`)).toContain(chat.openConversationId);
  });
});

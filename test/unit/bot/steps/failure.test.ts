import { describe, expect, it } from 'vitest';
import { allCommands } from '../../../../commands/index.ts';
import { createTranslator } from '../../../../src/bot/i18n.ts';
import { loadCommands } from '../../../../src/bot/registry.ts';
import {
  CommandTimeoutError,
  describe as describeError,
  failure,
  peopleErrorText,
  reasonOf,
  userErrorReply,
} from '../../../../src/bot/steps/failure.ts';
import { UserError } from '../../../../src/bot/types.ts';
import { DingTalkApiError } from '../../../../src/dingtalk/errors.ts';
import { StoreUnavailableError } from '../../../../src/store/index.ts';
import { log } from './world.ts';

const commands = loadCommands(allCommands);
const t = createTranslator('en', commands.messages);
const zh = createTranslator('zh-CN', commands.messages);
const rename = commands.get('chat rename');

describe('reasonOf', () => {
  it("is the error's key and params without the usage key", () => {
    expect(reasonOf(new UserError('args.missing', { param: 'name', usageKey: 'chat.rename.usage' }))).toEqual(
      {
        key: 'args.missing',
        params: { param: 'name' },
      },
    );
  });
});

describe('userErrorReply', () => {
  it("adds the command's usage and example to an error about the line's shape", () => {
    const reply = userErrorReply(new UserError('args.missing', { param: 'name' }), t, rename);
    expect(reply.text).toBe(
      `Missing <name>.\nUsage: /chat rename <chat> <new name>\nExample: ${t('chat.rename.example')}`,
    );
  });

  it('shows <chat> as required in a 1:1 chat', () => {
    const reply = userErrorReply(
      new UserError('args.missing', { param: 'chat' }),
      t,
      commands.get('chat info'),
      { conversationType: 'direct' },
    );
    expect(reply.text).toContain('Usage: /chat info <chat>');
    expect(reply.text).not.toContain('[<chat>]');
  });

  it('gives no example with an error that is not about the shape', () => {
    const reply = userErrorReply(new UserError('chat.name-not-found', { name: 'X' }), t, rename);
    expect(reply.text).toBe('No chat named "X" that I know of. Send /chat list to see my chats.');
  });

  it('without a command is the error text alone', () => {
    expect(userErrorReply(new UserError('parse.empty'), t)).toEqual({ text: t('parse.empty') });
  });
});

describe('peopleErrorText', () => {
  it('shows a permission point as it is spelled', () => {
    const text = peopleErrorText(
      new UserError('people.denied', { word: 'Ann', permission: 'qyapi_get_member' }),
      t,
    );
    expect(text).toContain('qyapi_get_member');
    expect(text).not.toContain('qyapi\\_get\\_member');
  });
});

describe('failure', () => {
  it('a store outage fails with its own reply', () => {
    const f = failure(new StoreUnavailableError('down'), t, log, 'chat add', undefined);
    expect(f).toEqual({
      reply: { text: t('pipeline.store-unavailable') },
      audit: { command: 'chat add', outcome: 'failed', reason: { key: 'audit.reason.store', params: {} } },
    });
  });

  it('a UserError is a refusal', () => {
    const f = failure(new UserError('chat.name-not-found', { name: 'X' }), t, log, 'chat info', undefined);
    expect(f.reply.text).toBe(t('chat.name-not-found', { name: 'X' }));
    expect(f.audit).toEqual({
      command: 'chat info',
      outcome: 'refused',
      reason: { key: 'chat.name-not-found', params: { name: 'X' } },
    });
  });

  it('a DingTalk error is explained, with its errcode and the cause in both languages', () => {
    const err = new DingTalkApiError({ endpoint: 'chat.update', status: 200, errcode: 60011, message: 'no' });
    const f = failure(err, t, log, 'chat rename', undefined);
    expect(f.reply.text.startsWith('DingTalk refused: ')).toBe(true);
    expect(f.audit.errcode).toBe('60011');
    expect(f.audit.outcome).toBe('failed');
    expect(f.audit.reason?.key).toBe('audit.reason.dingtalk');
    expect(Object.keys(f.audit.reason?.params ?? {})).toEqual(['cause@en', 'cause@zh-CN']);
    // The reply is in the reader's language.
    expect(failure(err, zh, log, 'chat rename', undefined).reply.text).not.toBe(f.reply.text);
  });

  it('anything else is an internal error with an incident id', () => {
    const f = failure(new TypeError('x is undefined'), t, log, 'chat add', undefined);
    const incident = f.audit.reason?.params?.incident;
    expect(incident).toMatch(/^[0-9a-f]{8}$/);
    expect(f.reply.text).toBe(`Something went wrong on my side. Incident id: ${incident}.`);
    expect(f.audit).toMatchObject({
      command: 'chat add',
      outcome: 'failed',
      reason: { key: 'audit.reason.internal' },
    });
  });
});

describe('describe and CommandTimeoutError', () => {
  it('describes an error by name, message and code; anything else by its text', () => {
    const err = new DingTalkApiError({ endpoint: 'chat.get', status: 200, errcode: 40003, message: 'bad' });
    expect(describeError(err)).toEqual({ name: 'DingTalkApiError', message: err.message, code: '40003' });
    expect(describeError('plain')).toEqual({ message: 'plain' });
    expect(new CommandTimeoutError()).toMatchObject({
      name: 'CommandTimeoutError',
      message: 'command timed out',
    });
  });
});

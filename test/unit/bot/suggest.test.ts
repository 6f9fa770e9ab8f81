import { describe, expect, it } from 'vitest';
import { suggest } from '../../../src/bot/suggest.ts';

const SUBS = ['chat create', 'chat info', 'chat qr', 'chat add', 'chat remove', 'chat set', 'chat list'];

describe('suggest', () => {
  it('suggests nothing for a subcommand that is not close (/chat frob)', () => {
    expect(suggest('chat frob', SUBS)).toEqual([]);
  });
  it('still suggests a close one', () => {
    expect(suggest('chat crate', SUBS)).toEqual(['chat create']);
    expect(suggest('chat inf', SUBS)).toEqual(['chat info']);
    expect(suggest('chta', ['chat', 'help'])).toEqual(['chat']);
  });
});

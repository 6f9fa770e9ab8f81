/**
 * loadConfig with random environments: it returns a Config or throws a ConfigError, nothing
 * else, and the ConfigError names exactly the variables that are wrong (architecture.md §4).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

type Var = { valid: fc.Arbitrary<string>; invalid?: fc.Arbitrary<string> };

const userId = fc.stringMatching(/^[A-Za-z0-9_.$-]{1,64}$/);
const idList = fc.array(userId, { maxLength: 4 }).map((ids) => ids.join(' , '));

/** Each variable with values it must accept and values it must refuse. */
const VARS: Record<string, Var> = {
  DINGTALK_API_BASE: {
    valid: fc.constantFrom(
      'https://api.dingtalk.com',
      'http://127.0.0.1:8080',
      'https://api.dingtalk.io/',
      'http://localhost:1/x',
    ),
    invalid: fc.constantFrom(
      '',
      'api.dingtalk.com',
      'ftp://api.dingtalk.com',
      'not a url',
      '://',
      'https//x',
    ),
  },
  DINGTALK_OAPI_BASE: {
    valid: fc.constantFrom('https://oapi.dingtalk.com', 'http://127.0.0.1:9'),
    invalid: fc.constantFrom('', 'oapi', 'mailto:x@y.z', 'file:///etc/passwd'),
  },
  DINGTALK_GROUP_API: {
    valid: fc.constantFrom('auto', 'legacy', 'v1'),
    invalid: fc.string({ maxLength: 8 }).filter((s) => !['auto', 'legacy', 'v1'].includes(s)),
  },
  BOT_ADMINS: {
    valid: idList,
    invalid: fc.constantFrom('ali ce', 'bob,@carol', 'x'.repeat(65), 'dave;erin', '张三'),
  },
  BOT_LEADS: { valid: idList, invalid: fc.constantFrom('a b', 'lead#1', 'a,b c') },
  BOT_LOCALE: {
    valid: fc.constantFrom('en', 'zh-CN'),
    invalid: fc.string({ maxLength: 6 }).filter((s) => s !== 'en' && s !== 'zh-CN'),
  },
  BOT_DATA_DIR: { valid: fc.string({ minLength: 1, maxLength: 20 }), invalid: fc.constant('') },
  LOG_LEVEL: {
    valid: fc.constantFrom('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    invalid: fc
      .string({ maxLength: 6 })
      .filter((s) => !['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(s)),
  },
  DINGTALK_ROBOT_CODE: { valid: fc.string({ maxLength: 20 }) },
  BOT_POLICY_FILE: { valid: fc.string({ maxLength: 20 }) },
};

type Choice = 'unset' | 'valid' | 'invalid';

/** A whole environment and the set of variables that are wrong in it. */
const envCase = fc
  .record({
    vars: fc.record(
      Object.fromEntries(
        Object.entries(VARS).map(([name, v]) => [
          name,
          fc.oneof(
            fc.constant<['unset', undefined]>(['unset', undefined]),
            v.valid.map((x): [Choice, string] => ['valid', x]),
            ...(v.invalid ? [v.invalid.map((x): [Choice, string] => ['invalid', x])] : []),
          ),
        ]),
      ) as Record<string, fc.Arbitrary<[Choice, string | undefined]>>,
    ),
    // Credentials: both, neither, or one of them (which names the other); blank counts as unset.
    id: fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('', '  '),
      fc.string({ minLength: 1, maxLength: 12 }),
    ),
    secret: fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('', ' '),
      fc.string({ minLength: 1, maxLength: 12 }),
    ),
    noise: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), { maxKeys: 4 }),
  })
  .map(({ vars, id, secret, noise }) => {
    const env: Record<string, string | undefined> = { ...noise };
    const bad = new Set<string>();
    for (const [name, [choice, value]] of Object.entries(vars)) {
      env[name] = value;
      if (choice === 'invalid') bad.add(name);
    }
    env.DINGTALK_CLIENT_ID = id;
    env.DINGTALK_CLIENT_SECRET = secret;
    const hasId = id !== undefined && id.trim() !== '';
    const hasSecret = secret !== undefined && secret.trim() !== '';
    if (hasId && !hasSecret) bad.add('DINGTALK_CLIENT_SECRET');
    if (hasSecret && !hasId) bad.add('DINGTALK_CLIENT_ID');
    return { env, bad, live: hasId && hasSecret };
  });

describe('fuzz: loadConfig', () => {
  it('names exactly the wrong variables, and accepts everything else', () => {
    fc.assert(
      fc.property(envCase, ({ env, bad, live }) => {
        let err: unknown;
        let mode: string | undefined;
        try {
          mode = loadConfig(env, undefined).mode;
        } catch (e) {
          err = e;
        }
        if (bad.size === 0) {
          expect(err).toBeUndefined();
          expect(mode).toBe(live ? 'live' : 'sandbox');
          return;
        }
        expect(err).toBeInstanceOf(ConfigError);
        const named = new Set((err as ConfigError).problems.map((p) => p.variable));
        expect([...named].sort()).toEqual([...bad].sort());
        for (const v of bad) expect((err as ConfigError).message).toContain(v);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but ConfigError for any map of strings', () => {
    const keys = fc.constantFrom(
      ...Object.keys(VARS),
      'DINGTALK_CLIENT_ID',
      'DINGTALK_CLIENT_SECRET',
      'PATH',
      '__proto__',
      'constructor',
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(keys, fc.string({ maxLength: 10 })),
          fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 })),
        ),
        (env) => {
          try {
            loadConfig(env, undefined);
          } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
            expect((e as ConfigError).problems.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

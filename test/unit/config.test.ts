import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDotEnv } from '../../src/config.ts';

describe('configuration', () => {
  it('defaults to sandbox mode with the documented defaults', () => {
    const c = loadConfig({}, undefined);
    expect(c.mode).toBe('sandbox');
    expect(c.credentials).toBeUndefined();
    expect(c.apiBase).toBe('https://api.dingtalk.com');
    expect(c.oapiBase).toBe('https://oapi.dingtalk.com');
    expect(c.groupApi).toBe('auto');
    expect(c.locale).toBe('en');
    expect(c.dataDir).toBe('./data');
    expect(c.logLevel).toBe('info');
    expect(c.admins).toEqual([]);
  });

  it('reads live settings, lists and a robot code defaulting to the client id', () => {
    const c = loadConfig(
      {
        DINGTALK_CLIENT_ID: 'dingabc',
        DINGTALK_CLIENT_SECRET: 'secret',
        DINGTALK_API_BASE: 'http://127.0.0.1:9/',
        BOT_ADMINS: ' admin1, ,manager4220 ',
        BOT_LOCALE: 'zh-CN',
        DINGTALK_GROUP_API: 'legacy',
      },
      undefined,
    );
    expect(c.mode).toBe('live');
    expect(c.robotCode).toBe('dingabc');
    expect(c.apiBase).toBe('http://127.0.0.1:9');
    expect(c.admins).toEqual(['admin1', 'manager4220']);
    expect(c.locale).toBe('zh-CN');
    expect(c.groupApi).toBe('legacy');
  });

  it('reads BOT_HTTP_PORT and BOT_HTTP_HOST: no server by default, loopback unless told', () => {
    const none = loadConfig({}, undefined);
    expect(none.httpPort).toBeUndefined();
    expect(none.httpHost).toBe('127.0.0.1');
    const c = loadConfig({ BOT_HTTP_PORT: ' 9464 ', BOT_HTTP_HOST: '0.0.0.0' }, undefined);
    expect(c.httpPort).toBe(9464);
    expect(c.httpHost).toBe('0.0.0.0');
    expect(loadConfig({ BOT_HTTP_PORT: '', BOT_HTTP_HOST: ' ' }, undefined)).toMatchObject({
      httpPort: undefined,
      httpHost: '127.0.0.1',
    });
    for (const bad of ['0', '65536', '80a', '-1', '1e3']) {
      expect(() => loadConfig({ BOT_HTTP_PORT: bad }, undefined)).toThrow(
        /BOT_HTTP_PORT: must be a port number/,
      );
    }
    expect(() => loadConfig({ BOT_HTTP_HOST: 'my host' }, undefined)).toThrow(
      /BOT_HTTP_HOST: must be a host/,
    );
  });

  it('names every wrong variable in one error', () => {
    let err: unknown;
    try {
      loadConfig(
        {
          DINGTALK_CLIENT_ID: 'only-the-id',
          DINGTALK_GROUP_API: 'both',
          BOT_LOCALE: 'fr',
          LOG_LEVEL: 'loud',
          DINGTALK_API_BASE: 'not a url',
          BOT_LEADS: 'ok,bad id',
        },
        undefined,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const names = (err as ConfigError).problems.map((p) => p.variable).sort();
    expect(names).toEqual(
      [
        'BOT_LEADS',
        'BOT_LOCALE',
        'DINGTALK_API_BASE',
        'DINGTALK_CLIENT_SECRET',
        'DINGTALK_GROUP_API',
        'LOG_LEVEL',
      ].sort(),
    );
    expect((err as ConfigError).message).toContain('DINGTALK_GROUP_API: must be auto, legacy or v1');
  });

  it('never puts the secret into the error message', () => {
    try {
      loadConfig({ DINGTALK_CLIENT_SECRET: 'super-secret-value' }, undefined);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('super-secret-value');
    }
  });

  it('reads .env, with the real environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgb-env-'));
    const file = join(dir, '.env');
    writeFileSync(
      file,
      '# comment\nBOT_LOCALE=zh-CN\nexport BOT_DATA_DIR="/tmp/x y"\nLOG_LEVEL=debug # trailing\n',
    );
    const c = loadConfig({ LOG_LEVEL: 'warn' }, file);
    expect(c.locale).toBe('zh-CN');
    expect(c.dataDir).toBe('/tmp/x y');
    expect(c.logLevel).toBe('warn');
  });

  it('parses .env lines with quotes and comments', () => {
    expect(parseDotEnv("A=1\nB='two words'\n#C=3\nD = spaced\nbad line")).toEqual({
      A: '1',
      B: 'two words',
      D: 'spaced',
    });
  });
});

describe('BOT_TIMEZONE', () => {
  it('defaults to Asia/Shanghai, takes an IANA zone, names the variable when wrong', () => {
    expect(loadConfig({}, undefined).timeZone).toBe('Asia/Shanghai');
    expect(loadConfig({ BOT_TIMEZONE: 'Europe/Berlin' }, undefined).timeZone).toBe('Europe/Berlin');
    expect(() => loadConfig({ BOT_TIMEZONE: 'Mars/Olympus' }, undefined)).toThrow(
      /BOT_TIMEZONE: must be an IANA time zone/,
    );
  });
});

describe('BOT_DATA_DIR', () => {
  it('a file where the folder should be names the variable', () => {
    expect(() => loadConfig({ BOT_DATA_DIR: '/etc/passwd' }, undefined)).toThrow(
      /BOT_DATA_DIR: must be a folder/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'dgb-cfg-'));
    expect(loadConfig({ BOT_DATA_DIR: join(dir, 'not-yet') }, undefined).dataDir).toBe(join(dir, 'not-yet'));
  });
});

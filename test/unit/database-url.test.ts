import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createLogger, scrubSecrets } from '../../src/log.ts';
import { databaseUrlPassword, describeDatabaseUrl } from '../../src/store/errors.ts';

describe('DATABASE_URL', () => {
  it('is described for logs as user, host, port and database, without password or parameters', () => {
    expect(describeDatabaseUrl('postgres://bot:s3cret-pw@db.internal:6543/botdb?sslmode=require')).toBe(
      'postgres://bot@db.internal:6543/botdb',
    );
    expect(describeDatabaseUrl('postgresql://bot:pw@db.internal/botdb')).toBe(
      'postgres://bot@db.internal:5432/botdb',
    );
    // pg's defaults: the database is named after the user.
    expect(describeDatabaseUrl('postgres://bot:pw@10.0.0.5')).toBe('postgres://bot@10.0.0.5:5432/bot');
    expect(describeDatabaseUrl('postgres:///botdb?host=/run/postgresql')).toBe(
      'postgres:///run/postgresql:5432/botdb',
    );
    expect(describeDatabaseUrl('not a url with p@ssword')).toBe('(unparseable database URL)');
  });

  it('yields the decoded password for the logger, or none', () => {
    expect(databaseUrlPassword('postgres://bot:s3%40cret@db/botdb')).toBe('s3@cret');
    expect(databaseUrlPassword('postgres://bot@db/botdb')).toBeUndefined();
    expect(databaseUrlPassword('::')).toBeUndefined();
  });

  it('is read from the environment: postgres:// and postgresql://, unset meaning SQLite', () => {
    expect(loadConfig({}, undefined).databaseUrl).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: '  ' }, undefined).databaseUrl).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgres://bot:pw@db:5432/bot' }, undefined).databaseUrl).toBe(
      'postgres://bot:pw@db:5432/bot',
    );
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/bot' }, undefined).databaseUrl).toBe(
      'postgresql://db/bot',
    );
  });

  it('names a bad value in the one start-up error without echoing it', () => {
    for (const bad of ['mysql://bot:hunter2-pw@db/bot', 'postgres://bot:hunter2-pw@/bot', 'hunter2-pw']) {
      let err: unknown;
      try {
        loadConfig({ DATABASE_URL: bad, BOT_LOCALE: 'fr' }, undefined);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems.map((p) => p.variable).sort()).toEqual(['BOT_LOCALE', 'DATABASE_URL']);
      expect((err as ConfigError).message).toContain('postgres://');
      expect((err as ConfigError).message).not.toContain('hunter2-pw');
    }
  });

  it('loses its password in any log line, also inside free text', () => {
    expect(scrubSecrets('connect postgres://bot:s3cr%40t@db:5432/bot failed')).toBe(
      'connect postgres://bot:[redacted]@db:5432/bot failed',
    );
    // An unencoded @ in the password still goes; the host and a later e-mail address stay.
    expect(scrubSecrets('postgresql://bot:p@ss@db/bot, ask ops@example.com')).toBe(
      'postgresql://bot:[redacted]@db/bot, ask ops@example.com',
    );
    expect(scrubSecrets('http://127.0.0.1:9/x@y')).toBe('http://127.0.0.1:9/x@y');

    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination });
    log.error(
      { err: new Error('bad url postgres://bot:hunter2-pw@db/bot') },
      'DATABASE_URL=postgres://bot:hunter2-pw@db/bot',
    );
    const out = lines.join('');
    expect(out).toContain('postgres://bot:[redacted]@db/bot');
    expect(out).not.toContain('hunter2-pw');
  });
});

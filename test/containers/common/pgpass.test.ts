import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordFromPgpass } from '../../../containers/common/pgpass';

describe('the password file, read as libpq reads it (issue 10.17)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-pgpass-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const at = (host: string, database = 'app', user = 'backup', port = 5432) => ({ host, port, database, user });

  it('takes the first matching line, with wildcards, escapes and the socket-as-localhost rule', async () => {
    const file = path.join(dir, 'pgpass');
    await writeFile(
      file,
      `${[
        '# comment',
        'db.example.com:5432:other:backup:wrong',
        'db.example.com:5432:app:backup:pa\\:ss\\\\word',
        '*:*:*:backup:fallback',
        'localhost:5432:app:backup:sock',
      ].join('\n')}\n`,
      { mode: 0o600 },
    );
    const env = { PGPASSFILE: file };
    expect(passwordFromPgpass(at('db.example.com'), env)).toBe('pa:ss\\word');
    expect(passwordFromPgpass(at('elsewhere'), env)).toBe('fallback');
    expect(passwordFromPgpass(at('db.example.com', 'app', 'someone'), env)).toBeUndefined();
    await writeFile(file, 'localhost:5432:app:backup:sock\n', { mode: 0o600 });
    expect(passwordFromPgpass(at('/var/run/postgresql'), env)).toBe('sock');
  });

  it('uses ~/.pgpass by default, and ignores a file that group or others can read', async () => {
    await writeFile(path.join(dir, '.pgpass'), '*:*:*:*:secret\n', { mode: 0o600 });
    expect(passwordFromPgpass(at('h'), { HOME: dir })).toBe('secret');
    const open = path.join(dir, 'open');
    await writeFile(open, '*:*:*:*:secret\n', { mode: 0o644 });
    expect(passwordFromPgpass(at('h'), { PGPASSFILE: open })).toBeUndefined();
    expect(passwordFromPgpass(at('h'), { PGPASSFILE: path.join(dir, 'missing') })).toBeUndefined();
  });
});

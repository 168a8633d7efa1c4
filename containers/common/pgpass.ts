import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionParams } from './pg-connection';

/** Splits one `.pgpass` line on unescaped colons, resolving `\:` and `\\`. */
function fields(line: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) current += line[++i];
    else if (c === ':') {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/**
 * The password libpq would take from the password file (`PGPASSFILE`, else `~/.pgpass`) for these parameters, as
 * libpq reads it: `host:port:database:user:password` lines, `*` matching anything, the first match winning, a
 * socket connection also matching `localhost`, and a file readable by group or others ignored. pg_dump reads the
 * file itself; node-postgres 8 reads it only through a deprecated path (removed in pg 9), so we give it the
 * password explicitly.
 */
export function passwordFromPgpass(
  params: Pick<ConnectionParams, 'host' | 'port' | 'database' | 'user'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const file = env.PGPASSFILE ?? path.join(env.HOME ?? os.homedir(), '.pgpass');
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile() || (stat.mode & 0o077) !== 0) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const hosts = params.host.startsWith('/') ? [params.host, 'localhost'] : [params.host];
  const wanted = [hosts, [String(params.port)], [params.database], [params.user]];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.startsWith('#')) continue;
    const f = fields(line);
    if (f.length < 5) continue;
    if (wanted.every((values, i) => f[i] === '*' || values.includes(f[i]!))) return f.slice(4).join(':');
  }
  return undefined;
}

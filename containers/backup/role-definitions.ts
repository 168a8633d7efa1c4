import { createHash } from 'node:crypto';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { rolesKeyFor } from '../common/keys';
import type { RoleDefinitions } from '../common/manifest';
import { describeExit, runCommand } from '../common/process';
import { redact } from '../../lib/common/redact';

/**
 * The server's roles, their attributes, memberships and role settings, without passwords:
 * `pg_dumpall --roles-only --no-role-passwords` (which reads pg_roles, not pg_authid, so it works without
 * superuser, e.g. on RDS). Resolves with the SQL, or with the reason it could not be taken.
 */
export async function dumpRoleDefinitions(options: {
  binDir: string;
  env: NodeJS.ProcessEnv;
  database: string;
}): Promise<{ sql: string } | { error: string }> {
  let out: Awaited<ReturnType<typeof runCommand>>;
  try {
    out = await runCommand(
      path.join(options.binDir, 'pg_dumpall'),
      ['--roles-only', '--no-role-passwords', '--no-password', `--database=${options.database}`],
      { env: options.env },
    );
  } catch (error) {
    return { error: `pg_dumpall could not be started: ${(error as Error).message}` };
  }
  if (out.code !== 0 || out.signal) {
    const tail = out.stderr.trim().split('\n').slice(-3).join(' ');
    return { error: redact(`pg_dumpall ${describeExit(out.code, out.signal)}: ${tail || '(no output on stderr)'}`) };
  }
  return { sql: out.stdout };
}

/**
 * Takes the role definitions and stores them beside the dump (same bucket and encryption as the manifest).
 * Never fails the backup: what went wrong is returned as `error`, for the manifest and a warning.
 */
export async function backUpRoleDefinitions(options: {
  s3: S3Client;
  bucket: string;
  dumpKey: string;
  kmsKeyId?: string;
  binDir: string;
  env: NodeJS.ProcessEnv;
  database: string;
}): Promise<RoleDefinitions> {
  const taken = await dumpRoleDefinitions(options);
  if ('error' in taken) return { error: taken.error };
  const key = rolesKeyFor(options.dumpKey);
  try {
    await options.s3.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: key,
        Body: taken.sql,
        ContentType: 'application/sql',
        ...(options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyId } : {}),
      }),
    );
  } catch (error) {
    const e = error as { name?: string };
    return {
      error: `cannot write s3://${options.bucket}/${key}: ${e.name ?? ''} ${(error as Error).message}`.replace(
        /\s+/g,
        ' ',
      ),
    };
  }
  return { key, sha256: createHash('sha256').update(taken.sql).digest('hex') };
}

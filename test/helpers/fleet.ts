import type { Stack } from 'aws-cdk-lib';
import { parseEngineConfig } from '../../containers/common/engine-config';
import type { EngineDatabaseConnection } from '../../lib/engine-tasks';
import { PgProof, type PgProofProps } from '../../lib/pg-proof';
import { minimalProps, testStack } from './cdk';

const connection: EngineDatabaseConnection = { host: 'db.internal', sslMode: 'require', passwordJsonField: 'password' };

/**
 * A PgProof proving a fleet: the listed ids (each its own database on one server, default engine settings) or "all",
 * in place of minimalProps' single database; `extra` adds or replaces props (maxConcurrency, runLabel…).
 */
export function buildFleetPgProof(
  ids: readonly string[] | 'all',
  extra: (stack: Stack) => Partial<PgProofProps> = () => ({}),
): { stack: Stack; pgProof: PgProof } {
  const stack = testStack();
  const {
    databaseHost: _host,
    databaseName: _name,
    databaseUser: _user,
    databasePasswordSecret: secret,
    ...rest
  } = minimalProps(stack);
  const shared = { ...connection, passwordSecret: secret };
  const engine = parseEngineConfig({});
  const pgProof = new PgProof(stack, 'PgProof', {
    ...rest,
    fleet: {
      connection: shared,
      databases: ids === 'all' ? 'all' : ids.map((id) => ({ id, name: id, connection: shared, engine })),
    },
    ...extra(stack),
  });
  return { stack, pgProof };
}

// Entrypoint of the discover task (`"databases": "all"`): the backup task definition run with the command
// ["/app/discover.cjs"], or a child process of the local runner. Reports `{ databases: [{ database, isNew }] }`.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createS3Client } from '../common/s3';
import { runTaskMain } from '../common/task-runner';
import { discoverDatabases } from './discover';
import { discoverSettingsFromEnv } from './settings-from-env';

runTaskMain('pgproof-discover', async ({ logger, signal }) => {
  const settings = await discoverSettingsFromEnv(process.env, () => new SecretsManagerClient({}));
  return discoverDatabases(settings, { s3: createS3Client(settings.storage), logger, signal });
});

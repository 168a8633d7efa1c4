// The CDK app: `npx cdk synth|deploy [-c config=FILE]`. One stack per configuration file.
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lib/common/errors';
import { describeDatabases, loadConfig } from '../lib/config';
import { PgProofStack } from '../lib/pg-proof-stack';

const app = new App();
const file = path.resolve(String(app.node.tryGetContext('config') ?? 'pgproof.config.json'));
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(file);
} catch (error) {
  if (error instanceof ConfigError) {
    // A readable message and a non-zero exit instead of a stack trace: the field at fault is named.
    process.stderr.write(`pgproof: invalid configuration\n  ${error.message.split('; ').join('\n  ')}\n`);
    process.exit(2);
  }
  throw error;
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
new PgProofStack(app, `PgProof-${config.name}`, {
  config,
  description: `pgproof: daily PostgreSQL backup of ${describeDatabases(config)}, proven by restoring it`,
  ...(config.account || config.region ? { env: { account: config.account, region: config.region } } : {}),
});

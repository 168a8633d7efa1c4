// Logical IDs of stateful resources are a contract with every deployed stack: CloudFormation treats a renamed ID
// as "delete the old resource, create a new one". For the bucket that means a new, empty bucket (the retained old
// one is orphaned, its backups out of the stack's reach); for the key, backups encrypted under a key the stack no
// longer manages. Renaming a construct on their path must be a deliberate, documented migration, so these IDs are pinned.
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { PgProofStack } from '../../lib/pg-proof-stack';
import { testApp } from '../helpers/cdk';
import { ROOT } from '../helpers/fixtures';

/** Every resource the stack keeps after `cdk destroy` (DeletionPolicy Retain), by logical ID. */
const PINNED_STATEFUL_IDS: Record<string, string> = {
  PgProofKeyA95223A2: 'AWS::KMS::Key',
  PgProofBackupsBucketEF4A5E7D: 'AWS::S3::Bucket',
  PgProofBackupsAccessLogs892FBCC8: 'AWS::S3::Bucket',
  PgProofEnginesBackupLogs4F6CB97A: 'AWS::Logs::LogGroup',
  PgProofEnginesVerifyLogsB2470FA9: 'AWS::Logs::LogGroup',
  PgProofNotifyNotifyChatLogs4BFCC1A3: 'AWS::Logs::LogGroup',
  PgProofNotifySnitchCheckInLogsE1F85028: 'AWS::Logs::LogGroup',
  PgProofRunLogs3EA658CD: 'AWS::Logs::LogGroup',
  PgProofRetentionApplyRetentionLogsDB4C69E1: 'AWS::Logs::LogGroup',
  PgProofReportWriteReportLogsBAD01A93: 'AWS::Logs::LogGroup',
  PgProofTaskStoppedWatchFunctionLogs369EB269: 'AWS::Logs::LogGroup',
};

function retainedResources(configFile: string): Record<string, string> {
  const config = loadConfig(`${ROOT}/${configFile}`);
  const stack = new PgProofStack(testApp(), `PgProof-${config.name}`, {
    config,
    env: { account: '123456789012', region: 'eu-west-1' },
    containerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/pgproof-engines:test'),
  });
  const resources: Record<string, { Type: string; DeletionPolicy?: string }> =
    Template.fromStack(stack).toJSON().Resources;
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
      .map(([id, resource]) => [id, resource.Type]),
  );
}

describe('logical IDs of stateful resources', () => {
  it.each(['pgproof.config.json', 'pgproof.config.example.json'])('are pinned for %s', (configFile) => {
    // GIVEN / WHEN the stack `cdk deploy` builds from a shipped configuration
    const retained = retainedResources(configFile);
    // THEN the bucket, key and log groups keep the IDs deployed stacks already have, and no retained resource is
    // added without being pinned here
    expect(retained).toEqual(PINNED_STATEFUL_IDS);
  });
});

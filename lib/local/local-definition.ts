import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { parseEngineConfig } from '../../containers/common/engine-config';
import { PgProof } from '../pg-proof';
import { renderDefinition, type AslDefinition } from '../render-definition';

/**
 * Renders the state machine a deployment would get, from the same construct code, for the local runner.
 * The AWS-only parts (VPC, secrets, image) are stand-ins that never leave this process: a local run binds every
 * Task state to a local program, and the placeholders only fill ARNs the bindings ignore.
 */
export function renderLocalDefinition(
  databaseName: string,
  fleet: { databases?: readonly string[] | 'all'; maxConcurrency?: number } = {},
): AslDefinition {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'PgProofLocal', { env: { account: '000000000000', region: 'local-1' } });
  const passwordSecret = secretsmanager.Secret.fromSecretNameV2(stack, 'DbSecret', 'local/db');
  const ids = fleet.databases ?? [databaseName];
  // Several databases (or "all") render as a fleet: only its ids and concurrency reach the definition.
  const databases =
    ids !== 'all' && ids.length === 1
      ? {
          databaseHost: 'localhost',
          databaseName: ids[0]!,
          databaseUser: 'local',
          databasePasswordSecret: passwordSecret,
        }
      : {
          fleet: {
            connection: {
              host: 'localhost',
              sslMode: 'disable',
              passwordSecret,
              passwordJsonField: 'password',
            } as const,
            databases:
              ids === 'all'
                ? ('all' as const)
                : ids.map((id) => ({
                    id,
                    name: id,
                    connection: {
                      host: 'localhost',
                      sslMode: 'disable',
                      passwordSecret,
                      passwordJsonField: 'password',
                    } as const,
                    engine: parseEngineConfig({}),
                  })),
          },
        };
  const pgProof = new PgProof(stack, 'PgProof', {
    name: 'local',
    runLabel: databaseName,
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-00000000',
      availabilityZones: ['local-1a'],
      privateSubnetIds: ['subnet-00000000'],
    }),
    ...databases,
    ...(fleet.maxConcurrency !== undefined ? { maxConcurrency: fleet.maxConcurrency } : {}),
    chatWebhookSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'ChatSecret', 'local/chat'),
    snitchUrlSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'SnitchSecret', 'local/snitch'),
    containerImage: ecs.ContainerImage.fromRegistry('pgproof-engines:local'),
  });
  return renderDefinition(pgProof.stateMachine);
}

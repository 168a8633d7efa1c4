import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PgProof, type PgProofProps } from '../../lib/pg-proof';

/** The feature flags `cdk synth` uses (cdk.json), so the tests see the same template. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

/** An app with cdk.json's flags that skips Lambda bundling (the template tests do not need the bundles). */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
}

/** A stack in a fixed environment with an imported VPC: what the tests build a PgProof in. */
export function testStack(app: App = testApp(), id = 'Test'): Stack {
  return new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
}

export function importedVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
    privateSubnetRouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0fedcba9876543210'],
  });
}

/** Minimal props; `overrides` replace any of them. The image is a registry image, so no asset is staged. */
export function minimalProps(stack: Stack, overrides: Partial<PgProofProps> = {}): PgProofProps {
  return {
    name: 'orders',
    vpc: importedVpc(stack),
    databaseHost: 'db.internal',
    databaseName: 'orders',
    databaseUser: 'pgproof',
    databasePasswordSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'DbSecret', 'orders/db'),
    chatWebhookSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'ChatSecret', 'pgproof/chat'),
    snitchUrlSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'SnitchSecret', 'pgproof/snitch'),
    containerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/pgproof-engines:test'),
    ...overrides,
  };
}

export function buildPgProof(overrides: (stack: Stack) => Partial<PgProofProps> = () => ({})): {
  stack: Stack;
  pgProof: PgProof;
} {
  const stack = testStack();
  const pgProof = new PgProof(stack, 'PgProof', minimalProps(stack, overrides(stack)));
  return { stack, pgProof };
}

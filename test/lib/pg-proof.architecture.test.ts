import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../lib/config';
import { PgProof } from '../../lib/pg-proof';
import { buildPgProof, minimalProps, testApp, testStack } from '../helpers/cdk';

type Json = Record<string, any>;

const deployment = (fields: Record<string, unknown> = {}) => ({
  name: 'orders',
  database: { host: 'db.internal', name: 'orders', user: 'pgproof', passwordSecretName: 'orders/db' },
  vpc: {
    vpcId: 'vpc-0123456789abcdef0',
    privateSubnetIds: ['subnet-0123456789abcdef0'],
    availabilityZones: ['eu-west-1a'],
  },
  chatWebhookSecretName: 'pgproof/chat',
  snitchUrlSecretName: 'pgproof/snitch',
  ...fields,
});

/** The task definitions' runtime platforms. */
function runtimePlatforms(template: Template): Json[] {
  return Object.values(template.findResources('AWS::ECS::TaskDefinition')).map((r) => r.Properties.RuntimePlatform);
}

/**
 * The platform PgProof asks the default image (containers/Dockerfile, built by `cdk deploy`) to be built for. The
 * asset itself is not staged (that walks the whole repository): its options are read as PgProof passes them.
 */
function imagePlatforms(arch?: ecs.CpuArchitecture): string[] {
  const fromAsset = vi
    .spyOn(ecs.ContainerImage, 'fromAsset')
    .mockImplementation(() => ecs.ContainerImage.fromRegistry('example/pgproof-engines') as unknown as ecs.AssetImage);
  try {
    const stack = testStack(testApp());
    const { containerImage: _registryImage, ...props } = minimalProps(stack, arch ? { cpuArchitecture: arch } : {});
    new PgProof(stack, 'PgProof', props);
    expect(fromAsset.mock.calls.map(([, options]) => options?.file)).toEqual(['containers/Dockerfile']);
    return fromAsset.mock.calls.map(([, options]) => options?.platform?.platform ?? 'none');
  } finally {
    fromAsset.mockRestore();
  }
}

describe('architecture', () => {
  it('is X86_64 unless the configuration chooses ARM64, and nothing else', () => {
    expect(parseConfig(deployment()).architecture).toBe('X86_64');
    expect(parseConfig(deployment({ architecture: 'ARM64' })).architecture).toBe('ARM64');
    expect(() => parseConfig(deployment({ architecture: 'arm64' }))).toThrow(/architecture/);
  });

  it('runs both tasks on X86_64 by default, with the image built for linux/amd64', () => {
    const { stack } = buildPgProof();
    const platforms = runtimePlatforms(Template.fromStack(stack));
    expect(platforms).toEqual([
      { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    ]);
    expect(imagePlatforms()).toEqual(['linux/amd64']);
  });

  it('runs both tasks on ARM64 when chosen, with the image built for linux/arm64', () => {
    const { stack } = buildPgProof(() => ({ cpuArchitecture: ecs.CpuArchitecture.ARM64 }));
    const platforms = runtimePlatforms(Template.fromStack(stack));
    expect(platforms).toEqual([
      { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    ]);
    expect(imagePlatforms(ecs.CpuArchitecture.ARM64)).toEqual(['linux/arm64']);
  });

  it('rejects an architecture Fargate on Linux does not offer, naming the prop', () => {
    expect(() => buildPgProof(() => ({ cpuArchitecture: ecs.CpuArchitecture.of('X86') }))).toThrow(
      /cpuArchitecture must be X86_64 or ARM64 .*got "X86"/,
    );
  });
});

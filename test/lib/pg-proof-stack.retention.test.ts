// The retention step reads its policy from the environment the stack writes, with its own strict parser: a field
// the configuration carries for another runtime (pruneLocal) or a wrong shape would fail every verified run in AWS
// with a ConfigError. So the synthesized value is parsed here by that very parser, for the shipped configurations.
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { retentionPolicyFromJson } from '../../lib/common/retention';
import { loadConfig } from '../../lib/config';
import { PgProofStack } from '../../lib/pg-proof-stack';
import { testApp } from '../helpers/cdk';
import { ROOT } from '../helpers/fixtures';

type Json = Record<string, any>;

function retentionEnvironment(config: ReturnType<typeof loadConfig>): Json {
  const stack = new PgProofStack(testApp(), `PgProof-${config.name}`, {
    config,
    env: { account: '123456789012', region: 'eu-west-1' },
    containerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/pgproof-engines:test'),
  });
  const resources: Record<string, Json> = Template.fromStack(stack).toJSON().Resources;
  const fn = Object.entries(resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && /RetentionApplyRetention[0-9A-F]{8}$/.test(id),
  );
  expect(fn, 'the stack has the retention function').toBeDefined();
  return fn![1].Properties.Environment.Variables;
}

describe('the retention step of a deployed stack', () => {
  it.each(['pgproof.config.json', 'pgproof.config.example.json'])(
    'gets the configuration’s policy, which its own parser accepts (%s)',
    (file) => {
      const config = loadConfig(`${ROOT}/${file}`);
      const vars = retentionEnvironment(config);
      const { pruneLocal: _local, ...policy } = config.retention;
      expect(retentionPolicyFromJson(vars.PGPROOF_RETENTION, 'PGPROOF_RETENTION')).toEqual(policy);
      expect(vars.PGPROOF_PREFIX).toBe(config.bucket.prefix);
    },
  );

  it('leaves the local-only pruneLocal out of what the function parses', () => {
    const config = loadConfig(`${ROOT}/pgproof.config.json`);
    const vars = retentionEnvironment({ ...config, retention: { ...config.retention, pruneLocal: true } });
    expect(JSON.parse(vars.PGPROOF_RETENTION)).not.toHaveProperty('pruneLocal');
    expect(() => retentionPolicyFromJson(vars.PGPROOF_RETENTION, 'PGPROOF_RETENTION')).not.toThrow();
  });

  it('locks in the configured mode only when the bucket has Object Lock', () => {
    const config = loadConfig(`${ROOT}/pgproof.config.example.json`);
    expect(config.bucket.objectLockDays).toBeDefined();
    expect(retentionEnvironment(config).PGPROOF_OBJECT_LOCK_MODE).toBe(config.bucket.objectLockMode);
    const plain = loadConfig(`${ROOT}/pgproof.config.json`);
    expect(retentionEnvironment(plain).PGPROOF_OBJECT_LOCK_MODE).toBeUndefined();
  });
});

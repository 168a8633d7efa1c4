import type { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backupSettingsFromEnv } from '../../../containers/backup/settings-from-env';
import { parseEngineConfig } from '../../../containers/common/engine-config';
import { reporterFromEnv } from '../../../containers/common/reporter';
import { verifySettingsFromEnv } from '../../../containers/verify/settings-from-env';
import { ENGINE_ENV, LIBPQ_ENV, type EngineEnvName } from '../../../lib/contracts/engine-env';
import { STATE } from '../../../lib/contracts/state-names';
import { staticTaskEnv } from '../../../lib/local/local-run';
import { renderDefinition } from '../../../lib/render-definition';
import { allStates } from '../../helpers/asl';
import { buildPgProof } from '../../helpers/cdk';

type Env = Record<string, string>;
type Json = Record<string, any>;

const RUN_ID = '20261124T030000Z-0123456789ab';
/** A value for every task variable, each different from the engines' defaults. */
const SAMPLE: Record<EngineEnvName, string> = {
  [ENGINE_ENV.config]: JSON.stringify({ sizeGuard: { maxShrink: 0.25 } }),
  [ENGINE_ENV.bucket]: 'backups',
  [ENGINE_ENV.prefix]: 'team',
  [ENGINE_ENV.kmsKeyId]: 'arn:aws:kms:eu-west-1:123456789012:key/1',
  [ENGINE_ENV.s3Endpoint]: 'http://127.0.0.1:9000',
  [ENGINE_ENV.dbSecret]: 'orders/db',
  [ENGINE_ENV.dbSecretJsonField]: 'alternate',
  [ENGINE_ENV.workDir]: '/scratch',
  [ENGINE_ENV.taskToken]: 'token',
  [ENGINE_ENV.runId]: RUN_ID,
  [ENGINE_ENV.reason]: 'before migration',
  [ENGINE_ENV.database]: 'orders',
  [ENGINE_ENV.backupKey]: `team/orders/${RUN_ID}.dump`,
  [ENGINE_ENV.lockWaitTimeoutSeconds]: '17',
  [ENGINE_ENV.stallTimeoutSeconds]: '19',
  [ENGINE_ENV.pgRoots]: '/opt/pg',
  [ENGINE_ENV.pgSearchPath]: '/opt/pg/bin',
  [ENGINE_ENV.clusterUser]: 'nobody',
  [ENGINE_ENV.logLevel]: 'DEBUG',
};
/** Read from the process's own environment where they are used (the logger, the throwaway cluster as root). */
const READ_AT_USE: readonly string[] = [ENGINE_ENV.clusterUser, ENGINE_ENV.logLevel];

/** A Secrets Manager whose password names the secret it came from, so a different secret id gives different settings. */
const secrets = () =>
  ({
    send: async (command: GetSecretValueCommand) => ({
      SecretString: JSON.stringify({
        password: `pw-${command.input.SecretId}`,
        alternate: `alt-${command.input.SecretId}`,
      }),
    }),
  }) as unknown as SecretsManagerClient;

/** What a task makes of an environment: its settings and how it reports, or the error it fails with. */
async function outcome(task: 'backup' | 'verify', env: Env): Promise<string> {
  try {
    const settings = task === 'backup' ? await backupSettingsFromEnv(env, secrets) : await verifySettingsFromEnv(env);
    return JSON.stringify({ settings, reporter: reporterFromEnv(env).constructor.name });
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** The variables of `env` that the task ignores: changing or removing each leaves its outcome as it was. */
async function ignored(task: 'backup' | 'verify', env: Env): Promise<string[]> {
  const base = await outcome(task, env);
  const out: string[] = [];
  for (const name of Object.keys(env)) {
    const { [name]: _removed, ...without } = env;
    const changed =
      (await outcome(task, { ...env, [name]: `${env[name]}x` })) !== base || (await outcome(task, without)) !== base;
    if (!changed) out.push(name);
  }
  return out;
}

/** A synthesized value as the task would see it: literal text stays, a CloudFormation reference becomes a stand-in. */
const resolved = (name: string, value: unknown): string =>
  typeof value === 'string' ? value : `resolved-${name.toLowerCase()}`;

let containerEnv: { backup: Env; verify: Env };
let overrideEnv: { backup: Env; verify: Env };

beforeAll(() => {
  // GIVEN the synthesized task definitions and the state machine's container overrides
  const { stack, pgProof } = buildPgProof();
  // The task definitions' CloudFormation properties, resolved as the template holds them.
  const envOf = (definition: ecs.TaskDefinition) => {
    const [container] = stack.resolve(
      (definition.node.defaultChild as ecs.CfnTaskDefinition).containerDefinitions,
    ) as Json[];
    return Object.fromEntries((container!.environment as Json[]).map((v) => [v.name, resolved(v.name, v.value)]));
  };
  containerEnv = { backup: envOf(pgProof.engineTasks.backup), verify: envOf(pgProof.engineTasks.verify) };
  // The ECS tasks run inside the Map's item: states at any depth
  const states = allStates(renderDefinition(pgProof.stateMachine));
  const overridesOf = (state: string) =>
    Object.fromEntries(
      (states[state] as Json).Parameters.Overrides.ContainerOverrides[0].Environment.map((v: Json) => [
        v.Name,
        SAMPLE[v.Name as EngineEnvName],
      ]),
    );
  overrideEnv = { backup: overridesOf(STATE.backupDatabase), verify: overridesOf(STATE.verifyBackup) };
});

describe('task environment contract: CDK ↔ engines', () => {
  it("sets only variables the contract names (pgproof's own and libpq's)", () => {
    const known = new Set<string>([...Object.values(ENGINE_ENV), ...Object.values(LIBPQ_ENV)]);
    for (const task of ['backup', 'verify'] as const) {
      const names = [...Object.keys(containerEnv[task]), ...Object.keys(overrideEnv[task])];
      expect(names.length).toBeGreaterThan(2);
      expect(
        names.filter((n) => !known.has(n)),
        task,
      ).toEqual([]);
    }
    expect(Object.keys(overrideEnv.backup).sort()).toEqual(
      [ENGINE_ENV.database, ENGINE_ENV.reason, ENGINE_ENV.runId, ENGINE_ENV.taskToken].sort(),
    );
    expect(Object.keys(overrideEnv.verify).sort()).toEqual(
      [ENGINE_ENV.backupKey, ENGINE_ENV.database, ENGINE_ENV.taskToken].sort(),
    );
  });

  it('sets no variable the engines ignore: changing or removing any one changes what the task reads', async () => {
    for (const task of ['backup', 'verify'] as const) {
      const env = { ...containerEnv[task], ...overrideEnv[task] };
      // WHEN / THEN: the whole environment is accepted, and every variable in it matters
      expect(await outcome(task, env)).toMatch(/^\{"settings"/);
      expect(await ignored(task, env), task).toEqual([]);
    }
  });
});

describe("task environment contract: the engines' readers", () => {
  it('read every variable of the contract (but the two read where they are used)', async () => {
    // GIVEN every variable set, except the database secret for verify (it has no database)
    const full: Env = { ...SAMPLE };
    // WHEN
    const ignoredByBackup = await ignored('backup', full);
    const ignoredByVerify = await ignored('verify', full);
    // THEN: each variable is read by one task or the other
    const readByNone = ignoredByBackup.filter((n) => ignoredByVerify.includes(n));
    expect(readByNone.sort()).toEqual([...READ_AT_USE].sort());
    // AND the variables told apart by the task-stopped function go to one task each
    expect(ignoredByBackup).toContain(ENGINE_ENV.backupKey);
    expect(ignoredByVerify).toEqual(expect.arrayContaining([ENGINE_ENV.runId, ENGINE_ENV.dbSecret]));
  });

  it('accept a fully populated environment and name a missing required variable', async () => {
    expect(await outcome('backup', SAMPLE)).toMatch(/^\{"settings"/);
    expect(await outcome('verify', SAMPLE)).toMatch(/^\{"settings"/);
    const { [ENGINE_ENV.bucket]: _bucket, ...noBucket } = SAMPLE;
    expect(await outcome('backup', noBucket)).toBe(
      `ConfigError: ${ENGINE_ENV.bucket} is not set: it must hold the name of the backup bucket`,
    );
    const { [ENGINE_ENV.backupKey]: _key, ...noKey } = SAMPLE;
    expect(await outcome('verify', noKey)).toMatch(new RegExp(`^ConfigError: ${ENGINE_ENV.backupKey} is not set`));
    expect(await outcome('backup', { ...SAMPLE, [ENGINE_ENV.config]: '{' })).toMatch(
      new RegExp(`^ConfigError: .*${ENGINE_ENV.config}`),
    );
  });
});

describe('task environment contract: local runner ↔ engines', () => {
  it('gives the engines the environment they read, named by the contract', async () => {
    // GIVEN the environment the local runner starts both tasks with
    const config = parseEngineConfig({});
    const env = staticTaskEnv({
      connection: { host: 'localhost', port: 5432, user: 'me', database: 'orders', sslMode: 'disable' },
      config,
      s3: { endpoint: 'http://127.0.0.1:9000', bucket: 'local-backups', prefix: 'pgproof' },
    }) as Env;
    // THEN: its pgproof variables are the contract's
    const ours = Object.keys(env).filter((n) => n.startsWith('PGPROOF'));
    expect(ours.filter((n) => !(Object.values(ENGINE_ENV) as string[]).includes(n))).toEqual([]);
    // AND both engines read it as the runner meant
    const backup = await backupSettingsFromEnv({ ...env, [ENGINE_ENV.runId]: RUN_ID }, secrets);
    expect(backup).toMatchObject({
      runId: RUN_ID,
      storage: { bucket: 'local-backups', prefix: 'pgproof', endpoint: 'http://127.0.0.1:9000' },
      config,
      connection: { database: 'orders', user: 'me' },
    });
    const verify = await verifySettingsFromEnv({ ...env, [ENGINE_ENV.backupKey]: SAMPLE[ENGINE_ENV.backupKey] });
    expect(verify).toMatchObject({ key: SAMPLE[ENGINE_ENV.backupKey], storage: { bucket: 'local-backups' }, config });
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { PgProofStack } from '../../lib/pg-proof-stack';
import { CDK_CONTEXT } from '../helpers/cdk';

const outdirs: string[] = [];

/** Synthesizes the stack from a configuration file exactly as bin/app.ts does, with cdk-nag's AwsSolutions checks. */
function synthWithNag(configFile: string) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pgproof-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const config = loadConfig(configFile);
  const stack = new PgProofStack(app, `PgProof-${config.name}`, { config });
  let error: unknown;
  try {
    app.synth();
  } catch (e) {
    error = e;
  }
  let report: any;
  try {
    report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  } catch {
    report = undefined;
  }
  return { stack, error, report };
}

/** Every finding the report lists that is not acknowledged. */
function unacknowledged(report: any): string[] {
  if (!report) return [];
  const out: string[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const v of plugin.violations ?? []) {
      for (const c of v.violatingConstructs ?? []) out.push(`${v.ruleName}: ${c.constructPath}`);
    }
  }
  return out;
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe.each(['pgproof.config.json', 'pgproof.config.example.json'])('cdk-nag AwsSolutions on %s', (file) => {
  let result: ReturnType<typeof synthWithNag>;
  beforeAll(() => {
    // GIVEN the app as `cdk synth` builds it  WHEN synthesized with the AwsSolutions checks
    result = synthWithNag(path.resolve(file));
  });

  it('synthesizes offline with no unacknowledged finding', () => {
    // THEN
    expect(result.report, 'cdk-nag wrote no validation report').toBeDefined();
    expect(unacknowledged(result.report)).toEqual([]);
    expect(result.error).toBeUndefined();
  });

  it('acknowledges every suppressed finding with a specific reason', () => {
    const suppressed = (result.report?.pluginReports ?? []).flatMap((p: any) => p.suppressedViolations ?? []) as Array<{
      ruleName: string;
      reason: string;
    }>;
    expect(suppressed.length).toBeGreaterThan(0);
    for (const s of suppressed) expect(s.reason.length, s.ruleName).toBeGreaterThan(40);
    // Also every acknowledgement recorded in the tree, even one that matched nothing.
    const acks = result.stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .map((m) => m.data as Record<string, string>),
      );
    for (const [id, reason] of acks.flatMap((a) => Object.entries(a))) expect(reason.length, id).toBeGreaterThan(40);
  });

  it('acknowledges only the findings we expect (a new kind of finding needs a decision, not a blanket pass)', () => {
    const findings = new Set(
      (result.report?.pluginReports ?? []).flatMap((p: any) =>
        (p.suppressedViolations ?? []).map((v: any) => String(v.ruleName).replace(/<[^>]+>/g, '<ref>')),
      ),
    );
    expect([...findings].sort()).toEqual([
      'AwsSolutions-ECS2',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<ref>/pgproof/*.dump.zst]',
      'AwsSolutions-IAM5[Resource::<ref>/pgproof/*.dump]',
      'AwsSolutions-IAM5[Resource::<ref>/pgproof/*.manifest.json]',
      'AwsSolutions-IAM5[Resource::<ref>/pgproof/*.roles.sql]',
      'AwsSolutions-IAM5[Resource::<ref>/pgproof/*.verified.json]',
      'AwsSolutions-IAM5[Resource::<ref>/pgproof/*/report.html]',
      'AwsSolutions-IAM5[Resource::<ref>/pgproof/*/runs.json]',
      'AwsSolutions-IAM5[Resource::<ref>/pgproof/*]',
      'AwsSolutions-IAM5[Resource::<ref>:*]',
    ]);
  });

  it("builds the engines' image from containers/Dockerfile", () => {
    const t = Template.fromStack(result.stack);
    const defs = Object.values(t.toJSON().Resources as Record<string, any>).filter(
      (r) => r.Type === 'AWS::ECS::TaskDefinition',
    );
    for (const d of defs)
      expect(JSON.stringify(d.Properties.ContainerDefinitions[0].Image)).toContain('container-assets');
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Validations, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/common/errors';
import { parseConfig } from '../../lib/config';
import { PgProofStack } from '../../lib/pg-proof-stack';
import { buildPgProof, CDK_CONTEXT } from '../helpers/cdk';

type Json = Record<string, any>;

const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'];
const ROUTE_TABLES = ['rtb-0123456789abcdef0', 'rtb-0fedcba9876543210'];
const config = (vpc: Record<string, unknown> = {}) => ({
  name: 'orders',
  database: { host: 'db.internal', name: 'orders', user: 'pgproof', passwordSecretName: 'orders/db' },
  vpc: {
    vpcId: 'vpc-0123456789abcdef0',
    privateSubnetIds: SUBNETS,
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    ...vpc,
  },
  chatWebhookSecretName: 'pgproof/chat',
  snitchUrlSecretName: 'pgproof/snitch',
});

const outdir = mkdtempSync(path.join(tmpdir(), 'pgproof-endpoints-'));
let template: Template;
let nagReport: Json;
let synthError: unknown;

beforeAll(() => {
  // GIVEN the stack of a configuration that asks for the endpoints, synthesized with the cdk-nag checks
  const app = new App({ outdir, context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new PgProofStack(app, 'PgProof-orders', {
    config: parseConfig(config({ createEndpoints: true, privateRouteTableIds: ROUTE_TABLES })),
    env: { account: '123456789012', region: 'eu-west-1' },
    containerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/pgproof-engines:test'),
  });
  template = Template.fromStack(stack);
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  nagReport = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const endpoints = () => Object.values(template.findResources('AWS::EC2::VPCEndpoint')) as Json[];
const serviceOf = (e: Json) => JSON.stringify(e.Properties.ServiceName);

describe('vpc.createEndpoints', () => {
  it('is off by default, and needs one route table per private subnet', () => {
    expect(parseConfig(config()).vpc).toMatchObject({ createEndpoints: false });
    expect(() => parseConfig(config({ createEndpoints: true }))).toThrow(ConfigError);
    expect(() => parseConfig(config({ createEndpoints: true }))).toThrow(
      /vpc\.privateRouteTableIds.*createEndpoints needs privateRouteTableIds/,
    );
    expect(() =>
      parseConfig(config({ createEndpoints: true, privateRouteTableIds: ROUTE_TABLES.slice(0, 1) })),
    ).toThrow(/one route table id per private subnet/);
    expect(() => parseConfig(config({ privateRouteTableIds: ['table-1', 'table-2'] }))).toThrow(
      /route table id such as rtb-/,
    );
  });

  it('creates no endpoint unless asked', () => {
    const { stack } = buildPgProof();
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  it("adds an S3 gateway endpoint to the private subnets' route tables", () => {
    const gateways = endpoints().filter((e) => e.Properties.VpcEndpointType === 'Gateway');
    expect(gateways).toHaveLength(1);
    expect(serviceOf(gateways[0]!)).toContain('.s3');
    expect(gateways[0]!.Properties).toMatchObject({ VpcId: 'vpc-0123456789abcdef0', RouteTableIds: ROUTE_TABLES });
  });

  it('creates interface endpoints for ECR api and dkr, CloudWatch Logs, Step Functions and Secrets Manager in the task subnets, with private DNS', () => {
    const interfaces = endpoints().filter((e) => e.Properties.VpcEndpointType === 'Interface');
    const services = interfaces
      .map((e) => /com\.amazonaws\.[^"]*?\.([a-z.]+)"/.exec(serviceOf(e))?.[1] ?? serviceOf(e))
      .sort();
    expect(services).toEqual(['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'states']);
    for (const e of interfaces)
      expect(e.Properties).toMatchObject({
        SubnetIds: SUBNETS,
        PrivateDnsEnabled: true,
        SecurityGroupIds: [expect.anything()],
      });
    expect(new Set(interfaces.map((e) => JSON.stringify(e.Properties.SecurityGroupIds))).size).toBe(1);
  });

  it("admits HTTPS to the interface endpoints from the backup and verify tasks' security groups only", () => {
    const interfaces = endpoints().filter((e) => e.Properties.VpcEndpointType === 'Interface');
    const endpointGroup = interfaces[0]!.Properties.SecurityGroupIds[0]['Fn::GetAtt'][0] as string;
    const group = template.toJSON().Resources[endpointGroup] as Json;
    const ingress = group.Properties.SecurityGroupIngress as Json[];
    expect(ingress.map((r) => [r.IpProtocol, r.FromPort, r.ToPort])).toEqual([
      ['tcp', 443, 443],
      ['tcp', 443, 443],
    ]);
    const sources = ingress.map((r) => r.SourceSecurityGroupId['Fn::GetAtt'][0] as string).sort();
    expect(sources).toEqual([
      expect.stringMatching(/BackupSecurityGroup/),
      expect.stringMatching(/VerifySecurityGroup/),
    ]);
    // No other way in, and nothing out: an endpoint answers, it never initiates.
    expect(ingress.filter((r) => r.CidrIp || r.CidrIpv6)).toEqual([]);
    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
    ]);
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    const violations = (nagReport.pluginReports ?? [])
      .flatMap((p: Json) => p.violations ?? [])
      .map((v: Json) => v.ruleName);
    expect(violations).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  it('names the problem when a task subnet has no known route table', () => {
    // GIVEN a VPC imported without its route tables
    const bareVpc = (stack: Stack) =>
      ec2.Vpc.fromVpcAttributes(stack, 'Bare', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['eu-west-1a'],
        privateSubnetIds: ['subnet-0123456789abcdef0'],
      });
    // WHEN / THEN
    expect(() => buildPgProof((stack) => ({ createVpcEndpoints: true, vpc: bareVpc(stack) }))).toThrow(
      /needs the route table of every task subnet; none is known for subnet-0123456789abcdef0 .*vpc\.privateRouteTableIds/,
    );
  });
});

import { Annotations, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { RetentionPolicy } from './common/retention';
import { REPORT_ENV } from './contracts/lambda-env';
import { acknowledgeWildcards } from './nag';
import { createPgProofFunction } from './pgproof-function';

/** The most characters the id → name map may take in the function's environment (Lambda allows 4 KB in all). */
export const DATABASE_NAMES_ENV_MAX_CHARS = 3_000;

export interface ReportFunctionProps {
  readonly bucket: s3.IBucket;
  /** The key prefix of this deployment's objects. */
  readonly prefix: string;
  /** The key that encrypts the objects (read and written). @default - none (no KMS permission) */
  readonly key?: kms.IKey;
  /** The retention policy whose status the report shows. */
  readonly policy: RetentionPolicy;
  /** Database names by id, for the ids that are not their database's name. @default - every id is its name */
  readonly databaseNames?: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The report step's permissions: list the prefix, read its objects (manifests, markers, run logs), and write only
 * `<prefix>/<folder>/report.html` and `<prefix>/<folder>/runs.json`. No delete, no tagging, no other key.
 */
export function reportStatements(props: {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly key?: kms.IKey;
}): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      sid: 'ListBackups',
      actions: ['s3:ListBucket'],
      resources: [props.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${props.prefix}/*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadBackups',
      actions: ['s3:GetObject'],
      resources: [props.bucket.arnForObjects(`${props.prefix}/*`)],
    }),
    new iam.PolicyStatement({
      sid: 'WriteReports',
      actions: ['s3:PutObject'],
      resources: [
        props.bucket.arnForObjects(`${props.prefix}/*/report.html`),
        props.bucket.arnForObjects(`${props.prefix}/*/runs.json`),
      ],
    }),
  ];
  if (props.key) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'EncryptReports',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
      }),
    );
  }
  return statements;
}

/**
 * The Lambda of the WriteReport state: after a run, for each database, appends the run to its run log and writes its
 * report (`<prefix>/<database>/report.html`) from the catalog. Its own role, no VPC (it talks to S3 only).
 */
export class ReportFunction extends Construct {
  public readonly fn: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: ReportFunctionProps) {
    super(scope, id);
    const names = props.databaseNames && Object.keys(props.databaseNames).length ? props.databaseNames : undefined;
    let namesJson = names ? JSON.stringify(names) : undefined;
    // A deployment must not fail over its reports: without the map, those databases' reports go under their ids.
    if (namesJson && namesJson.length > DATABASE_NAMES_ENV_MAX_CHARS) {
      Annotations.of(this).addWarningV2(
        'pgproof:reportDatabaseNames',
        `the fleet's database ids that differ from their names take ${namesJson.length} characters; at most ${DATABASE_NAMES_ENV_MAX_CHARS} fit the report function's environment (Lambda allows 4 KB), so their reports are written under their ids' folders, not beside their backups: use ids equal to the database names`,
      );
      namesJson = undefined;
    }
    const { fn, role } = createPgProofFunction(this, 'WriteReport', {
      folder: 'write-report',
      description: `pgproof write-report: list and read ${props.prefix}/, write only */report.html and */runs.json, no delete`,
      // One database's catalog (two reads per backup) and two writes: seconds; the state's own timeout is the same.
      timeout: Duration.minutes(2),
      environment: {
        [REPORT_ENV.bucket]: props.bucket.bucketName,
        [REPORT_ENV.prefix]: props.prefix,
        [REPORT_ENV.policy]: JSON.stringify(props.policy),
        ...(namesJson ? { [REPORT_ENV.databaseNames]: namesJson } : {}),
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    for (const statement of reportStatements(props)) role.addToPolicy(statement);
    acknowledgeWildcards(role, [
      {
        resource: props.bucket.arnForObjects(`${props.prefix}/*`),
        reason:
          'Reads the objects under the prefix (manifests, verified markers, run logs): every backup of every database is a key under it, named per run.',
      },
      ...['report.html', 'runs.json'].map((file) => ({
        resource: props.bucket.arnForObjects(`${props.prefix}/*/${file}`),
        reason: `Writes each database's ${file}, one fixed key per database folder (folders are named at run time, "all" discovers them).`,
      })),
    ]);
    this.fn = fn;
  }
}

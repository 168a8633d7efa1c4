import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  DATABASE_FIELD,
  ENGINE_LOG,
  fieldSelector,
  MESSAGE_FIELD,
  type BackupCompleteFields,
  type BackupVerifiedFields,
  type CheckFields,
  type DatabaseFields,
} from './contracts/engine-log';

export interface RunMonitoringProps {
  /** The pipeline's name: the dashboard and metric namespace are named after it. */
  readonly name: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly backupLogGroup: logs.ILogGroup;
  readonly verifyLogGroup: logs.ILogGroup;
  /** Encrypts the alarm topic; CloudWatch must be allowed to use it. */
  readonly topicKey: kms.IKey;
  /** @default - no e-mail subscription */
  readonly alarmEmail?: string;
}

/** The engines' figures, taken from their JSON log lines (`backup complete`, `backup verified`, `check`). */
export const ENGINE_METRICS = {
  dumpBytes: {
    metricName: 'DumpBytes',
    message: ENGINE_LOG.backupComplete,
    value: fieldSelector<BackupCompleteFields>('bytes'),
    unit: cloudwatch.Unit.BYTES,
  },
  dumpSeconds: {
    metricName: 'DumpSeconds',
    message: ENGINE_LOG.backupComplete,
    value: fieldSelector<BackupCompleteFields>('seconds'),
    unit: cloudwatch.Unit.SECONDS,
  },
  restoreSeconds: {
    metricName: 'RestoreSeconds',
    message: ENGINE_LOG.backupVerified,
    value: fieldSelector<BackupVerifiedFields>('restoreSeconds'),
    unit: cloudwatch.Unit.SECONDS,
  },
} as const;

/** The dimension every engine metric carries: the database the log line is about. */
export const DATABASE_DIMENSION = 'Database';

/**
 * The dimensions of every metric filter: `Database` from the line's `database` field. A filter publishing dimensions
 * may not have a default value (AWS rejects the pair), and at most 3 dimensions (docs/aws-facts.md).
 */
export const ENGINE_METRIC_DIMENSIONS = {
  [DATABASE_DIMENSION]: fieldSelector<DatabaseFields>(DATABASE_FIELD),
} as const;

/** The graphs' period: one point per day (runs are daily). */
const GRAPH_PERIOD = Duration.days(1);

/**
 * The search expression finding one engine metric of every database (names are not known at deploy time; a search
 * finds only the series that reported in the last two weeks).
 */
export function perDatabaseSearch(namespace: string, metricName: string, statistic: 'Maximum' | 'Sum'): string {
  return `SEARCH('{${namespace},${DATABASE_DIMENSION}} MetricName="${metricName}"', '${statistic}', ${GRAPH_PERIOD.toSeconds()})`;
}

/** The filter pattern matching the lines with this message. */
function messageIs(message: string): logs.JsonPattern {
  return logs.FilterPattern.stringValue(fieldSelector(MESSAGE_FIELD), '=', message);
}

/** The filter pattern matching the check lines that passed (or failed). */
function checkPassedIs(passed: boolean): logs.IFilterPattern {
  return logs.FilterPattern.all(
    messageIs(ENGINE_LOG.check),
    logs.FilterPattern.booleanValue(fieldSelector<CheckFields>('passed'), passed),
  );
}

/**
 * Alarm on failed, timed-out and aborted runs (to an SNS topic, optionally e-mailed), metrics from the engines'
 * logs, and a dashboard that shows a shrinking backup or a growing restore time at a glance.
 */
export class RunMonitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly alarm: cloudwatch.Alarm;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Namespace of the engine metrics: `PgProof/<name>`. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: RunMonitoringProps) {
    super(scope, id);
    this.namespace = `PgProof/${props.name}`;

    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `pgproof ${props.name} alarms`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const sm = props.stateMachine;
    const period = Duration.minutes(5);
    const failedRuns = new cloudwatch.MathExpression({
      label: 'failed, timed-out or aborted runs',
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: sm.metricFailed({ period, statistic: 'Sum' }),
        timedOut: sm.metricTimedOut({ period, statistic: 'Sum' }),
        aborted: sm.metricAborted({ period, statistic: 'Sum' }),
      },
      period,
    });
    this.alarm = failedRuns.createAlarm(this, 'RunFailedAlarm', {
      alarmDescription: `A pgproof run of ${props.name} failed, timed out or was aborted: open the state machine's run history.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new actions.SnsAction(this.topic));
    // A topic policy replaces the topic's default policy, and enforceSSL's holds only a Deny: without this Allow,
    // CloudWatch may not publish and no alarm e-mail is ever sent. Only this alarm of this account may publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowRunFailedAlarmPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnEquals: { 'aws:SourceArn': this.alarm.alarmArn },
        },
      }),
    );

    // One series per database; the graphs find them by search, so no name is needed at deploy time.
    const perDatabase = (metricName: string, statistic: 'Maximum' | 'Sum', label: string) =>
      new cloudwatch.SearchExpression({
        expression: perDatabaseSearch(this.namespace, metricName, statistic),
        label,
        period: GRAPH_PERIOD,
      });
    const metric = (m: (typeof ENGINE_METRICS)[keyof typeof ENGINE_METRICS], logGroup: logs.ILogGroup) => {
      new logs.MetricFilter(this, `${m.metricName}Filter`, {
        logGroup,
        metricNamespace: this.namespace,
        metricName: m.metricName,
        filterPattern: messageIs(m.message),
        metricValue: m.value,
        dimensions: ENGINE_METRIC_DIMENSIONS,
        unit: m.unit,
      });
      return m.metricName;
    };
    const dumpBytes = metric(ENGINE_METRICS.dumpBytes, props.backupLogGroup);
    const dumpSeconds = metric(ENGINE_METRICS.dumpSeconds, props.backupLogGroup);
    const restoreSeconds = metric(ENGINE_METRICS.restoreSeconds, props.verifyLogGroup);
    const checkFilter = (metricName: string, passed: boolean) => {
      new logs.MetricFilter(this, `${metricName}Filter`, {
        logGroup: props.verifyLogGroup,
        metricNamespace: this.namespace,
        metricName,
        filterPattern: checkPassedIs(passed),
        metricValue: '1',
        dimensions: ENGINE_METRIC_DIMENSIONS,
        unit: cloudwatch.Unit.COUNT,
      });
      return metricName;
    };
    const checksFailed = checkFilter('ChecksFailed', false);
    const checksPassed = checkFilter('ChecksPassed', true);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `pgproof-${props.name}`,
      defaultInterval: Duration.days(90),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Backup size (bytes), per database',
        left: [perDatabase(dumpBytes, 'Maximum', 'size')],
        width: 12,
        leftYAxis: { min: 0 },
      }),
      new cloudwatch.GraphWidget({
        title: 'Dump and restore time (seconds), per database',
        left: [
          perDatabase(dumpSeconds, 'Maximum', 'dump'),
          perDatabase(restoreSeconds, 'Maximum', 'restore (measured recovery time)'),
        ],
        width: 12,
        leftYAxis: { min: 0 },
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Checks, per database',
        left: [perDatabase(checksPassed, 'Sum', 'passed'), perDatabase(checksFailed, 'Sum', 'failed')],
        width: 12,
        leftYAxis: { min: 0 },
      }),
      new cloudwatch.GraphWidget({
        title: 'Runs',
        left: [
          sm.metricSucceeded({ period: Duration.days(1), statistic: 'Sum', label: 'succeeded' }),
          sm.metricFailed({ period: Duration.days(1), statistic: 'Sum', label: 'failed' }),
          sm.metricTimedOut({ period: Duration.days(1), statistic: 'Sum', label: 'timed out' }),
          sm.metricAborted({ period: Duration.days(1), statistic: 'Sum', label: 'aborted' }),
        ],
        width: 12,
        leftYAxis: { min: 0 },
      }),
    );
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarm', alarms: [this.alarm], width: 24 }));
  }
}

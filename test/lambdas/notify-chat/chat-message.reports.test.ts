import { describe, expect, it } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import {
  buildChatMessage,
  REPORT_LINK_LABEL,
  REPORT_WARNING_LABEL,
  reportWarning,
} from '../../../lambdas/notify-chat/chat-message';
import { fleetRun, verifiedOutcome, withOneOutcome } from '../../helpers/outcome-runs';
import { succeededRun } from '../../helpers/runs';

const notWritten = (database: string, name = 'ReportNotWritten') => ({
  database,
  written: false,
  error: { state: 'WriteReport', name },
});

describe('a report that was not written', () => {
  it('is one line naming the databases and the first error, and changes nothing else in the message', () => {
    const base = withOneOutcome(succeededRun());
    const run = parseRunResult({ ...base, reports: [notWritten('app', 'States.Timeout')] });
    const message = buildChatMessage(run);
    const plain = buildChatMessage(parseRunResult({ ...base, reports: [{ database: 'app', written: true }] }));
    expect(message.succeeded).toBe(true);
    expect(message.headline).toBe(plain.headline);
    const line = message.text.split('\n').filter((l) => l.startsWith(REPORT_WARNING_LABEL));
    expect(line).toEqual([
      "⚠ Report: not written for app: States.Timeout (its message is in the run's WriteReport step and the function's log)",
    ]);
    expect(plain.text).not.toContain(REPORT_WARNING_LABEL);
    expect(message.text.replace(`\n${line[0]}`, '')).toBe(plain.text);
  });

  it("lists a fleet's databases whose report failed, and a failed WriteReports Map", () => {
    const fleet = fleetRun([verifiedOutcome('a'), verifiedOutcome('b'), verifiedOutcome('c')]);
    const run = parseRunResult({
      ...fleet,
      reports: [notWritten('a'), { database: 'b', written: true }, notWritten('c', 'Lambda.Unknown')],
    });
    expect(reportWarning(run)).toMatch(/^not written for a, c: ReportNotWritten /);
    expect(buildChatMessage(run).facts).toContainEqual({ label: REPORT_WARNING_LABEL, value: reportWarning(run) });
    const mapFailed = parseRunResult({ ...fleet, reportsFailed: { state: 'WriteReports', name: 'States.Runtime' } });
    expect(reportWarning(mapFailed)).toMatch(/^not written: States\.Runtime in WriteReports /);
  });

  it('says nothing when every report was written, none were written yet, or the entries are malformed', () => {
    const base = withOneOutcome(succeededRun());
    expect(reportWarning(parseRunResult(base))).toBeUndefined();
    expect(reportWarning(parseRunResult({ ...base, reports: [{ database: 'app', written: true }] }))).toBeUndefined();
    // A malformed entry never fails the notification
    const odd = parseRunResult({ ...base, reports: [{ written: 'maybe' }, 7], reportsFailed: 'x' });
    expect(odd.reports).toEqual([]);
    expect(odd.reportsFailed).toBeUndefined();
    expect(reportWarning(odd)).toBeUndefined();
  });

  it("links a single database's report by its S3 console URL, only when this run wrote it", () => {
    const url = 'https://eu-west-1.console.aws.amazon.com/s3/object/backups-1?prefix=pgproof/app/report.html';
    const base = withOneOutcome(succeededRun());
    const written = parseRunResult({ ...base, reports: [{ database: 'app', written: true }] });
    expect(buildChatMessage(written, { reportUrl: url }).text.split('\n')).toContain(`${REPORT_LINK_LABEL}: ${url}`);
    // Not written, no reports (an older execution), a fleet, or no URL configured: no link
    const failed = parseRunResult({ ...base, reports: [notWritten('app')] });
    const fleet = parseRunResult({
      ...fleetRun([verifiedOutcome('a'), verifiedOutcome('b')]),
      reports: [
        { database: 'a', written: true },
        { database: 'b', written: true },
      ],
    });
    for (const run of [failed, parseRunResult(base), fleet])
      expect(buildChatMessage(run, { reportUrl: url }).text).not.toContain(url);
    expect(buildChatMessage(written).text).not.toContain(`${REPORT_LINK_LABEL}:`);
  });
});

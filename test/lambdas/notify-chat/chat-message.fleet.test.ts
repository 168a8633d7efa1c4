import { describe, expect, it } from 'vitest';
import { parseRunResult, type RunResult, type RunResultInput } from '../../../lambdas/common/run-result';
import { CHAT_KINDS, type ChatKind } from '../../../lambdas/notify-chat/chat-kind';
import { buildChatMessage, fitLines, MAX_FAILED_LINES } from '../../../lambdas/notify-chat/chat-message';
import { buildChatPayload } from '../../../lambdas/notify-chat/chat-payload';
import { failedOutcome, fleetRun, outcomeOf, verifiedOutcome, withOneOutcome } from '../../helpers/outcome-runs';
import { failedRun, succeededRun } from '../../helpers/runs';

const payload = (kind: ChatKind, run: RunResult) => buildChatPayload(kind, buildChatMessage(run), run);
/** A payload without the generic body's `run`, which is the state as received (and so differs by its outcomes). */
const withoutRun = (body: Record<string, unknown>) => {
  const { run: _run, ...rest } = body;
  return rest;
};

const checkFailed = {
  state: 'VerifyBackup',
  name: 'CheckFailed',
  message: '1 of 7 checks failed: invoices: 0 (expected >= 1)',
};

describe('chat message of a run with one outcome', () => {
  const base = succeededRun({ reason: 'before the migration' });
  const cases: [string, RunResultInput][] = [
    ['verified', base],
    [
      'verified, with skipped extensions and no baseline',
      succeededRun({
        verify: { restoreSeconds: 9.5, checks: [{ name: 'a', passed: true }], skippedExtensions: ['aws_s3'] },
      }),
    ],
    ['failed in the backup (a JSON cause with a stack)', failedRun()],
    [
      'failed in the verification, after the backup (its size change from the backup task)',
      {
        ...base,
        status: 'FAILED',
        backup: { ...base.backup, previousBytes: 1_200_000_000 },
        verify: undefined,
        error: checkFailed,
      } as RunResultInput,
    ],
    ['failed without error details', { database: 'app', runId: 'r', status: 'FAILED' }],
  ];

  it.each(cases)('%s: the same text as the run without outcomes', (_name, legacy) => {
    // Prepare
    const before = parseRunResult(legacy);
    const after = parseRunResult(withOneOutcome(legacy));
    expect(after.outcomes).toHaveLength(1);
    expect(after.backup).toBeUndefined();

    // Act
    const message = buildChatMessage(after);

    // Assess
    expect(message).toEqual(buildChatMessage(before));
    expect(message.text).toBe(buildChatMessage(before).text);
  });

  it.each(cases)('%s: the same payload for every chat service', (_name, legacy) => {
    const before = parseRunResult(legacy);
    const after = parseRunResult(withOneOutcome(legacy));

    for (const kind of CHAT_KINDS) {
      expect(withoutRun(payload(kind, after)), kind).toEqual(withoutRun(payload(kind, before)));
    }
    // The generic body's run is the state received, outcome included; it gains no `databases` for one database.
    expect(payload('generic', after).run).toEqual(after);
    expect(payload('generic', after)).not.toHaveProperty('databases');
  });

  it("counts an outcome's checks as passed: 7/7 for a verified database", () => {
    const run = parseRunResult(fleetRun([verifiedOutcome('app')], { database: 'app' }));

    expect(buildChatMessage(run).text.split('\n')).toContain('Checks: 7/7 passed');
  });

  it('reads a contradictory state (run SUCCEEDED, its outcome FAILED) as the failure it is', () => {
    const run = parseRunResult(fleetRun([failedOutcome('app', checkFailed)], { database: 'app', status: 'SUCCEEDED' }));

    const message = buildChatMessage(run);

    expect(message.succeeded).toBe(false);
    expect(message.headline).toBe('❌ Backup FAILED: app (failed in VerifyBackup)');
  });
});

describe('chat message of a run of several databases', () => {
  it('all verified: the count in the headline, the new ones named, the run and the link', () => {
    const run = parseRunResult(
      fleetRun(
        [
          verifiedOutcome('orders'),
          verifiedOutcome('billing', { isNew: true }),
          verifiedOutcome('audit', { isNew: true }),
        ],
        { reason: 'after the upgrade' },
      ),
    );

    const message = buildChatMessage(run);

    expect(message.succeeded).toBe(true);
    expect(message.text).toBe(
      [
        '✅ 3 databases verified: prod',
        'New: billing, audit',
        'Run: 20261124T030000Z-0123456789',
        'Reason: after the upgrade',
        `Open the run in the Step Functions console: ${run.consoleUrl}`,
      ].join('\n'),
    );
    expect(message.databases).toMatchObject({ total: 3, verified: 3, failed: 0 });
  });

  it('some failed: one line per failed database with (new), state, error name and the first useful line', () => {
    const run = parseRunResult(
      fleetRun([
        verifiedOutcome('orders'),
        failedOutcome('billing', checkFailed, { isNew: true }),
        failedOutcome('eu-orders', failedRun().error as { state: string; name: string; message: string }),
        verifiedOutcome('audit', { isNew: true }),
        failedOutcome('legacy', { state: 'BackupDatabase', name: 'States.Timeout', message: '' }),
      ]),
    );

    const message = buildChatMessage(run);

    expect(message.succeeded).toBe(false);
    expect(message.text).toBe(
      [
        '❌ 3 of 5 databases FAILED, 2 verified: prod',
        'Failed databases:',
        '  - billing (new) failed in VerifyBackup: CheckFailed: 1 of 7 checks failed: invoices: 0 (expected >= 1)',
        '  - eu-orders failed in BackupDatabase: DumpFailed: pg_dump exited with status 1',
        '  - legacy failed in BackupDatabase: States.Timeout',
        'New: audit',
        'Run: 20261124T030000Z-0123456789',
        `Open the run in the Step Functions console: ${run.consoleUrl}`,
      ].join('\n'),
    );
    expect(message.errorLines).toEqual([]);
  });

  it('names at most 20 failed databases, then says how many more failed', () => {
    const outcomes = Array.from({ length: 200 }, (_, i) =>
      i < 198 ? failedOutcome(`db${i}`, checkFailed) : verifiedOutcome(`db${i}`),
    );

    const message = buildChatMessage(parseRunResult(fleetRun(outcomes)));

    expect(message.headline).toBe('❌ 198 of 200 databases FAILED, 2 verified: prod');
    expect(message.databases?.failures.lines).toHaveLength(MAX_FAILED_LINES);
    const text = message.text.split('\n');
    expect(text.filter((l) => l.startsWith('  - '))).toHaveLength(20);
    expect(text).toContain(
      '  - db19 failed in VerifyBackup: CheckFailed: 1 of 7 checks failed: invoices: 0 (expected >= 1)',
    );
    expect(text).not.toContain(
      '  - db20 failed in VerifyBackup: CheckFailed: 1 of 7 checks failed: invoices: 0 (expected >= 1)',
    );
    expect(text).toContain('  … and 178 more failed');
  });

  it("shows the run's own error, and says so when a failed run has none besides its databases", () => {
    const all = [verifiedOutcome('a'), verifiedOutcome('b')];
    const withError = buildChatMessage(
      parseRunResult(
        fleetRun(all, { status: 'FAILED', error: { state: 'SummarizeRun', name: 'States.Runtime', message: 'boom' } }),
      ),
    );
    const without = buildChatMessage(parseRunResult(fleetRun(all, { status: 'FAILED' })));
    const none = buildChatMessage(parseRunResult(fleetRun([], { status: 'SUCCEEDED' })));

    expect(withError.headline).toBe('❌ Run FAILED: prod (all 2 databases verified)');
    expect(withError.text).toContain('Error: States.Runtime\n  boom');
    expect(without.text).toContain('Error: unknown\n  no error details were passed to the notification');
    expect(none.succeeded).toBe(false);
    expect(none.headline).toBe('❌ No database was proved: prod');
  });

  it('names at most 20 new databases', () => {
    const outcomes = Array.from({ length: 25 }, (_, i) => verifiedOutcome(`n${i}`, { isNew: true }));

    const message = buildChatMessage(parseRunResult(fleetRun(outcomes)));

    expect(message.facts[0]).toEqual({
      label: 'New',
      value: `${outcomes
        .slice(0, 20)
        .map((o) => o.database)
        .join(', ')} … and 5 more`,
    });
  });
});

describe('chat payloads of a run of several databases', () => {
  const run = parseRunResult(
    fleetRun([verifiedOutcome('orders'), failedOutcome('billing', checkFailed, { isNew: true }), verifiedOutcome('x')]),
  );

  it('every service shows the headline and the failed database line', () => {
    const line =
      'billing (new) failed in VerifyBackup: CheckFailed: 1 of 7 checks failed: invoices: 0 (expected &gt;= 1)';
    const slack = JSON.stringify(payload('slack', run));
    expect(slack).toContain('❌ 1 of 3 databases FAILED, 2 verified: prod');
    expect(slack).toContain(JSON.stringify(`*Failed databases*\n• ${line}`).slice(1, -1));
    for (const kind of ['teams', 'google-chat', 'discord'] as const) {
      const body = JSON.stringify(payload(kind, run));
      expect(body, kind).toContain('❌ 1 of 3 databases FAILED, 2 verified: prod');
      expect(body, kind).toContain(line.replace('&gt;', '>'));
    }
  });

  it('generic: the flat fields, the text, and one entry per database with its error', () => {
    const body = payload('generic', run);

    expect(body).toMatchObject({
      source: 'pgproof',
      status: 'FAILED',
      database: 'prod',
      runId: run.runId,
      headline: '❌ 1 of 3 databases FAILED, 2 verified: prod',
      text: buildChatMessage(run).text,
      consoleUrl: run.consoleUrl,
    });
    expect(body.databases).toEqual([
      { database: 'orders', status: 'SUCCEEDED', isNew: false },
      { database: 'billing', status: 'FAILED', isNew: true, error: checkFailed },
      { database: 'x', status: 'SUCCEEDED', isNew: false },
    ]);
    expect(body.run).toEqual(run);
  });

  it("stays within every service's limits with 200 failed databases of 500-character errors, naming fewer", () => {
    // Prepare: the longest ids and messages the engines allow
    const outcomes = Array.from({ length: 200 }, (_, i) =>
      failedOutcome(
        `${String(i).padStart(3, '0')}${'d'.repeat(60)}`,
        {
          state: 'VerifyBackup',
          name: 'RestoreFailed',
          message: `<&>${'y'.repeat(497)}`,
        },
        { isNew: true },
      ),
    );
    const big = parseRunResult(fleetRun(outcomes, { reason: 'r'.repeat(500) }));

    // Act
    const slack = payload('slack', big) as { blocks: { text?: { text: string }; fields?: { text: string }[] }[] };
    const teams = payload('teams', big) as { attachments: { content: { body: { text?: string }[] } }[] };
    const chat = payload('google-chat', big) as { text: string };
    const discord = payload('discord', big) as {
      embeds: { title: string; description: string; fields: { name: string; value: string }[] }[];
    };

    // Assess
    for (const block of slack.blocks) expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
    expect(slack.blocks[1]?.text?.text).toMatch(/\n… and \d+ more failed$/);
    expect(JSON.stringify(teams).length).toBeLessThan(28_000);
    expect(teams.attachments[0]?.content.body[2]?.text).toMatch(/\n… and \d+ more failed$/);
    expect(chat.text.length).toBeLessThanOrEqual(4096);
    expect(chat.text).toMatch(/\n… and \d+ more failed\n\*Run:\*/);
    expect(chat.text.endsWith(`<${big.consoleUrl}|Open the run in the Step Functions console>`)).toBe(true);
    const embed = discord.embeds[0]!;
    expect(embed.description.length).toBeLessThanOrEqual(4096);
    const embedChars =
      embed.title.length +
      embed.description.length +
      embed.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(embedChars).toBeLessThanOrEqual(6000);
    expect(embed.description).toMatch(/\n… and \d+ more failed$/);
  });
});

describe('fitLines', () => {
  const render = (l: string) => `- ${l}`;
  const more = (n: number) => `… and ${n} more failed`;

  it('keeps every line that fits with the closing count, and the count of those left out', () => {
    expect(fitLines(['aaaa', 'bbbb', 'cccc'], 0, 100, render, more)).toEqual(['- aaaa', '- bbbb', '- cccc']);
    expect(fitLines(['aaaa', 'bbbb', 'cccc'], 2, 100, render, more)).toEqual([
      '- aaaa',
      '- bbbb',
      '- cccc',
      '… and 2 more failed',
    ]);
    // 6 + 1 + 19 fits 26; a second line would not leave room for the count
    expect(fitLines(['aaaa', 'bbbb', 'cccc'], 0, 30, render, more)).toEqual(['- aaaa', '… and 2 more failed']);
    expect(fitLines(['aaaa'], 0, 2, render, more)).toEqual(['… and 1 more failed']);
  });

  it('never exceeds the budget when the count fits', () => {
    const lines = Array.from({ length: 50 }, (_, i) => 'x'.repeat(i * 7));
    for (const budget of [25, 100, 333, 1000, 3000]) {
      expect(fitLines(lines, 3, budget, render, more).join('\n').length).toBeLessThanOrEqual(budget);
    }
  });
});

describe('outcomeOf (test helper)', () => {
  it('carries the passed checks as a count', () => {
    expect(outcomeOf(succeededRun()).verify?.checks).toBe(3);
  });
});

describe('chat message of a fleet of one database', () => {
  it("names the database, not the deployment, in today's message", () => {
    const run = parseRunResult(fleetRun([verifiedOutcome('orders')], { database: 'prod' }));

    const message = buildChatMessage(run);

    expect(message.headline).toBe('✅ Backup verified: orders');
    expect(message.text).toContain('Checks: 7/7 passed');
    expect(payload('generic', run)).toMatchObject({ database: 'prod', headline: '✅ Backup verified: orders' });
  });
});

import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../../containers/common/pg-connection';
import { startThrowawayCluster, type ThrowawayCluster } from '../../../containers/common/throwaway-cluster';
import { runPgRestore } from '../../../containers/common/pg-restore';
import { firstRealError, formatPgRestoreErrors, PgRestoreErrorLog } from '../../../containers/common/pg-restore-errors';
import { createSourceDatabase } from '../../helpers/fixtures';

// pg_restore 15's stderr (--verbose, --jobs=2) when a worker fails and the leader then reports the dead worker.
const PARALLEL_FAILURE = `pg_restore: connecting to database for restore
pg_restore: creating MATERIALIZED VIEW "public.mv"
pg_restore: entering main parallel loop
pg_restore: launching item 3350 MATERIALIZED VIEW DATA mv
pg_restore: creating MATERIALIZED VIEW DATA "public.mv"
pg_restore: while PROCESSING TOC:
pg_restore: from TOC entry 3350; 0 16533 MATERIALIZED VIEW DATA mv postgres
pg_restore: error: could not execute query: ERROR:  unrecognized configuration parameter "app.limit"
CONTEXT:  PL/pgSQL function public.below_limit(integer) line 1 at RETURN
Command was: REFRESH MATERIALIZED VIEW public.mv;


pg_restore: finished item 3349 TABLE DATA base
pg_restore: error: a worker process died unexpectedly
`;

describe('pg_restore error report (pure)', () => {
  it('keeps the error with its context and statement, drops progress lines and the worker line that follows a real error', () => {
    const log = new PgRestoreErrorLog();
    log.push(PARALLEL_FAILURE.slice(0, 200));
    log.push(PARALLEL_FAILURE.slice(200));
    expect(log.text()).toBe(
      [
        'pg_restore: from TOC entry 3350; 0 16533 MATERIALIZED VIEW DATA mv postgres',
        'pg_restore: error: could not execute query: ERROR:  unrecognized configuration parameter "app.limit"',
        'CONTEXT:  PL/pgSQL function public.below_limit(integer) line 1 at RETURN',
        'Command was: REFRESH MATERIALIZED VIEW public.mv;',
      ].join('\n'),
    );
  });

  it('picks the first real error for the headline, never the worker line', () => {
    expect(
      firstRealError(
        [
          'pg_restore: error: a worker process died unexpectedly',
          'pg_restore: error: could not execute query: ERROR:  x',
        ].join('\n'),
      ),
    ).toBe('could not execute query: ERROR:  x');
    expect(firstRealError('pg_restore: error: a worker process died unexpectedly')).toBeUndefined();
  });

  it('explains a worker that died without an error of its own, instead of sounding like a pgproof crash', () => {
    const text = formatPgRestoreErrors(['pg_restore: error: a worker process died unexpectedly']);
    expect(text).toMatch(
      /^pg_restore: error: a worker process died unexpectedly \(one of pg_restore's parallel workers ended without reporting an error.*pgproof itself did not crash\)$/,
    );
  });

  it('bounds a long statement with a clear marker of what was left out', () => {
    const lines = [
      'pg_restore: error: could not execute query: ERROR:  boom',
      'Command was: CREATE VIEW public.v AS',
      ...Array.from({ length: 100 }, (_, i) => ` SELECT ${i}`),
    ];
    const text = formatPgRestoreErrors(lines, 5, 20).split('\n');
    expect(text).toHaveLength(21);
    expect(text[20]).toBe('… (87 more lines)');
    const wide = formatPgRestoreErrors(
      Array.from({ length: 50 }, () => 'x'.repeat(1000)),
      0,
      60,
      12_000,
    ).split('\n');
    expect(wide).toHaveLength(12);
    expect(wide[11]).toBe('… (39 more lines)');
  });

  it('starts the report at the failing entry even after many warnings, and keeps a lone worker line explained', () => {
    const log = new PgRestoreErrorLog();
    log.push(`${Array.from({ length: 100 }, (_, i) => `pg_restore: warning: something ${i}`).join('\n')}\n`);
    log.push(PARALLEL_FAILURE);
    expect(log.text().split('\n')[0]).toBe(
      'pg_restore: from TOC entry 3350; 0 16533 MATERIALIZED VIEW DATA mv postgres',
    );
    const lone = new PgRestoreErrorLog();
    lone.push('pg_restore: warning: w\npg_restore: error: a worker process died unexpectedly\n');
    expect(lone.text()).toMatch(
      /^pg_restore: warning: w\npg_restore: error: a worker process died unexpectedly \(one of pg_restore's parallel workers/,
    );
  });

  it('shows the last progress lines when pg_restore died without an error line', () => {
    const log = new PgRestoreErrorLog();
    log.push('pg_restore: processing item 1 TABLE a\npg_restore: creating TABLE "public.a"\n');
    expect(log.text()).toBe('pg_restore: processing item 1 TABLE a\npg_restore: creating TABLE "public.a"');
  });
});

describe('runPgRestore error messages (real pg_restore)', () => {
  let work: string;
  let target: ThrowawayCluster;
  let dump: string;
  let restoreDb = 0;
  const binDir = inject('source').binDir;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'pgproof-restore-errors-'));
    await chmod(work, 0o711);
    // A multi-line view over a function, and a materialized view whose refresh needs a setting only the source had.
    const source = await createSourceDatabase('restore_errors', async (sql) => {
      await sql(
        "create table base (id int, label text); insert into base select g, 'x' || g from generate_series(1, 100) g",
      );
      await sql(
        "create function below_limit(v int) returns boolean language plpgsql immutable as $$ begin return v < current_setting('app.limit')::int; end $$",
      );
      await sql(
        'create view limited_view as\n  select id,\n         label,\n         below_limit(id) as ok\n    from base\n   where id > 0',
      );
      await sql("select set_config('app.limit', '1000', false)");
      await sql('create materialized view mv as select id, below_limit(id) as ok from base');
    });
    dump = path.join(work, 'errors.dump');
    execFileSync(path.join(binDir, 'pg_dump'), ['-Fc', '-f', dump, source.database], {
      env: { PGHOST: source.host, PGPORT: String(source.port), PGUSER: source.user, PGPASSWORD: source.password ?? '' },
    });
    target = await startThrowawayCluster({ binDir, parentDir: work });
  });
  afterAll(async () => {
    await target?.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function freshDatabase(): Promise<string> {
    const name = `restored_${++restoreDb}`;
    const admin = await connect(target.connection('postgres'));
    await admin.query(`create database ${name}`);
    await admin.end();
    return name;
  }

  it('shows the whole failing CREATE VIEW with its LINE and HINT lines', async () => {
    // GIVEN a restore list without the function the view calls: the view cannot be created
    const list = execFileSync(path.join(binDir, 'pg_restore'), ['--list', dump], { encoding: 'utf8' }).replace(
      /^(\d+; .* FUNCTION public below_limit)/m,
      ';$1',
    );
    const listFile = path.join(work, 'no-function.list');
    await writeFile(listFile, list);
    // WHEN
    const run = runPgRestore({
      binDir,
      file: dump,
      target: target.connection(await freshDatabase()),
      jobs: 2,
      extraArgs: [`--use-list=${listFile}`],
    });
    // THEN
    const error = await run.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: 'RestoreFailed' });
    const message = error!.message;
    expect(message.split('\n')[0]).toBe(
      'pg_restore exited with status 1: could not execute query: ERROR:  function public.below_limit(integer) does not exist',
    );
    expect(message).toContain('pg_restore: from TOC entry');
    expect(message).toMatch(/^LINE 4: +public\.below_limit\(base\.id\) AS ok$/m);
    expect(message).toMatch(/^HINT: +No function matches the given name and argument types/m);
    expect(message).toContain(
      [
        'Command was: CREATE VIEW public.limited_view AS',
        ' SELECT base.id,',
        '    base.label,',
        '    public.below_limit(base.id) AS ok',
        '   FROM public.base',
        '  WHERE (base.id > 0);',
      ].join('\n'),
    );
    expect(message).not.toMatch(/AS\.$/m);
    expect(message).not.toContain('processing item');
  });

  it('reports the failing parallel item first and does not conclude with "a worker process died unexpectedly"', async () => {
    const run = runPgRestore({ binDir, file: dump, target: target.connection(await freshDatabase()), jobs: 2 });
    const error = await run.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: 'RestoreFailed' });
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe(
      'pg_restore exited with status 1: could not execute query: ERROR:  unrecognized configuration parameter "app.limit"',
    );
    expect(lines).toContain('CONTEXT:  PL/pgSQL function public.below_limit(integer) line 1 at RETURN');
    expect(error!.message).toContain('Command was: REFRESH MATERIALIZED VIEW public.mv;');
    expect(error!.message).not.toContain('worker process died');
  });
});

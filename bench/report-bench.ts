// Benchmark: the report of 2 years × 20 databases of daily runs (synthetic), model and page, several times over.
// Usage: npm run bench:report [-- --databases 20 --days 730 --repeat 5]   (prints a Markdown table)
import os from 'node:os';
import { parseArgs } from 'node:util';
import { reportHtml } from '../containers/report/report-html';
import { buildReportModel } from '../containers/report/report-model';
import { DEFAULT_RETENTION_POLICY } from '../lib/common/defaults';
import { syntheticHistory } from '../test/helpers/synthetic-catalog';

const { values } = parseArgs({
  options: {
    databases: { type: 'string', default: '20' },
    days: { type: 'string', default: '730' },
    repeat: { type: 'string', default: '5' },
  },
});

const databases = Number(values.databases);
const days = Number(values.days);
const repeat = Number(values.repeat);
const now = new Date();
const loadBefore = os.loadavg();
const { catalog, runs } = syntheticHistory({ databases, days, now });

const timings: { model: number; html: number; total: number; cpu: number; bytes: number }[] = [];
// With --expose-gc (the npm script): the synthetic data's garbage is collected before, not during, a measured pass.
const collect = (globalThis as { gc?: () => void }).gc;
for (let i = 0; i < repeat; i++) {
  collect?.();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const model = buildReportModel({ catalog, runs, now, days, policy: DEFAULT_RETENTION_POLICY });
  const built = performance.now();
  const html = reportHtml(model);
  const done = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  timings.push({
    model: built - start,
    html: done - built,
    total: done - start,
    // CPU time of this process (all its threads, GC included): wall time inflates when other processes share the cores.
    cpu: (cpu.user + cpu.system) / 1000,
    bytes: Buffer.byteLength(html),
  });
}

const ms = (n: number) => n.toFixed(0);
console.log(
  `${databases} databases × ${days} days: ${runs.length} runs, ${catalog.backups.length} backups, ${catalog.incomplete.length} incomplete runs; Node ${process.version}`,
);
console.log(`load average (1, 5, 15 min) at the start: ${loadBefore.map((l) => l.toFixed(2)).join(', ')}`);
console.log('\n| pass | model ms | page ms | total ms (wall) | CPU ms | page MB |\n|---:|---:|---:|---:|---:|---:|');
timings.forEach((t, i) => {
  console.log(
    `| ${i + 1}${i === 0 ? ' (cold)' : ''} | ${ms(t.model)} | ${ms(t.html)} | ${ms(t.total)} | ${ms(t.cpu)} | ${(t.bytes / 1e6).toFixed(1)} |`,
  );
});

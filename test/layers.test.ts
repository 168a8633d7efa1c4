// The layers' import rules: each contract and rule has one home that every runtime imports, and no runtime reaches
// into another's code. The engine image is built from containers/ plus the lib/ folders it copies, and the Lambdas
// are bundled alone, so an import across these lines would break a build that no local test runs.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fixtures';

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

/** Every module a file imports (static and dynamic), relative ones as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1]!);
  return specifiers.map((s) =>
    s.startsWith('.') ? path.relative(ROOT, path.resolve(ROOT, path.dirname(file), s)) : s,
  );
}

/** The imports of every file under `folder` that `allowed` refuses, as `file → import`. */
function violations(folder: string, allowed: (target: string) => boolean): string[] {
  return sourceFiles(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => !allowed(target))
      .map((target) => `${file} → ${target}`),
  );
}

const within = (target: string, ...folders: string[]) =>
  folders.some((f) => target === f || target.startsWith(`${f}/`));

/**
 * The containers/ modules the Lambdas may import: the backup catalog and the retention plan, with every containers/
 * module they import in turn (the catalog's listing, keys, manifest, errors…), and nothing else of the engines.
 */
function catalogModules(): string[] {
  const found = new Set<string>();
  const queue = ['containers/common/backup-catalog', 'containers/common/retention-plan'];
  while (queue.length) {
    const module = queue.pop()!;
    if (found.has(module)) continue;
    found.add(module);
    queue.push(...importsOf(`${module}.ts`).filter((t) => within(t, 'containers')));
  }
  return [...found].sort();
}

describe('layers', () => {
  it('finds the imports it checks (the rules below are not vacuous)', () => {
    expect(importsOf('containers/common/task-env.ts')).toEqual(
      expect.arrayContaining(['lib/contracts/engine-env', 'lib/common/defaults', 'containers/common/s3']),
    );
    expect(sourceFiles('lib/contracts')).toContain('lib/contracts/engine-env.ts');
  });

  it('contracts import only each other and zod: no SDK, no CDK, no I/O', () => {
    expect(violations('lib/contracts', (t) => within(t, 'lib/contracts') || t === 'zod')).toEqual([]);
  });

  it('the shared rules, defaults, errors and mask import only each other', () => {
    expect(violations('lib/common', (t) => within(t, 'lib/common', 'lib/contracts'))).toEqual([]);
  });

  it('the engines import only containers/, the contracts, the shared rules and the byte format the image copies', () => {
    const copied = (t: string) =>
      within(t, 'containers', 'lib/contracts', 'lib/common') || t === 'lambdas/common/format';
    expect(violations('containers', (t) => !/^(bin|lib|lambdas|test)\//.test(t) || copied(t))).toEqual([]);
    expect(violations('containers', (t) => !t.startsWith('aws-cdk-lib'))).toEqual([]);
  });

  it('the Lambdas import no engine, CLI or CDK code: of containers/ only the catalog, its modules, the retention plan and the report', () => {
    const catalog = catalogModules();
    // Non-vacuous: the closure holds the catalog's own imports, and apply-retention really imports from it.
    expect(catalog).toEqual(
      expect.arrayContaining([
        'containers/common/backup-listing',
        'containers/common/keys',
        'containers/common/manifest',
      ]),
    );
    expect(catalog).not.toContain('containers/common/pg-restore');
    expect(importsOf('lambdas/apply-retention/apply-retention.ts')).toEqual(
      expect.arrayContaining(['containers/common/backup-catalog', 'containers/common/retention-plan']),
    );
    expect(
      violations(
        'lambdas',
        (t) =>
          !/^(bin|containers|lib)\//.test(t) ||
          within(t, 'lib/contracts', 'lib/common', 'containers/report') ||
          catalog.includes(t),
      ),
    ).toEqual([]);
    expect(violations('lambdas', (t) => !t.startsWith('aws-cdk-lib'))).toEqual([]);
  });

  it('restore (CLI side) shares pg_restore and download code through containers/common, not verify', () => {
    expect(violations('bin/restore', (t) => !within(t, 'containers/verify'))).toEqual([]);
  });

  it('nothing outside bin/ imports the CLI', () => {
    // bin/bundles.mjs is build tooling, not the CLI: the local runner compiles the engine bundles with it.
    for (const folder of ['lib', 'lambdas', 'containers']) {
      expect(violations(folder, (t) => !within(t, 'bin') || t === 'bin/bundles.mjs')).toEqual([]);
    }
  });
});

// Compiles pgproof's TypeScript once into dist/ (esbuild), and again only when a source file is newer than its
// bundle: the CLI starts from a bundle instead of transpiling every module on each start, and the local runner's
// backup and verify children run self-contained bundles built like the image's (/app/backup.cjs, /app/verify.cjs).
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist');
/** Folders whose TypeScript goes into the bundles, and files whose change changes them (bundled dependencies). */
const SOURCE_DIRS = ['bin', 'lib', 'containers', 'lambdas'];
const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];

/** The Node the bundles run on: package.json's engines, the image's and the Lambdas' runtime. */
const target = 'node24';
/** One entry per bundle. The CLI keeps its packages external (it runs inside this checkout); the engines carry theirs. */
export const BUNDLES = {
  cli: { entry: 'bin/pgproof.ts', file: 'pgproof.mjs', options: { format: 'esm', packages: 'external' } },
  backup: { entry: 'containers/backup/main.ts', file: 'backup.cjs', options: { format: 'cjs', external: ['pg-native'] } },
  verify: { entry: 'containers/verify/main.ts', file: 'verify.cjs', options: { format: 'cjs', external: ['pg-native'] } },
};

async function newestSourceMs() {
  let newest = 0;
  const visit = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await visit(full);
      else if (/\.(ts|mts|cts|json)$/.test(entry.name)) newest = Math.max(newest, (await stat(full)).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) await visit(path.join(ROOT, dir));
  for (const file of SOURCE_FILES) newest = Math.max(newest, await stat(path.join(ROOT, file)).then((s) => s.mtimeMs, () => 0));
  return newest;
}

/**
 * Returns the path of each bundle asked for, building the ones older than the newest source first. Concurrent
 * callers each write their own temporary file and rename it into place, so a reader never sees a partial bundle.
 * @param {Array<keyof typeof BUNDLES>} names
 * @returns {Promise<Record<string, string>>}
 */
export async function ensureBundles(names) {
  const newest = await newestSourceMs();
  const paths = {};
  for (const name of names) {
    const bundle = BUNDLES[name];
    const file = path.join(OUT_DIR, bundle.file);
    paths[name] = file;
    const built = await stat(file).then((s) => s.mtimeMs, () => -1);
    if (built >= newest) continue;
    await mkdir(OUT_DIR, { recursive: true });
    const temporary = `${file}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
    const { build } = await import('esbuild');
    try {
      await build({
        entryPoints: [path.join(ROOT, bundle.entry)],
        outfile: temporary,
        bundle: true,
        platform: 'node',
        target,
        logLevel: 'error',
        ...bundle.options,
      });
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new Error(`pgproof could not compile ${bundle.entry} (esbuild): ${error.message}`, { cause: error });
    }
  }
  return paths;
}

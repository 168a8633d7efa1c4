// Compiles pgproof's TypeScript once into dist/ (esbuild), and again only when a source file is newer than its
// bundle: the CLI starts from a bundle instead of transpiling every module on each start, and the local runner's
// backup, verify and discover children run self-contained bundles built like the image's (/app/backup.cjs, …).
import { readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist');
/** Files whose change changes every bundle (the bundled packages, the compiler settings). */
const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];

/** The Node the bundles run on: package.json's engines, the image's and the Lambdas' runtime. */
const target = 'node24';
/**
 * One entry per bundle. The CLI keeps its packages external (it runs inside this checkout) and is split into chunks,
 * so that what a command imports when it runs (aws-cdk-lib, the AWS SDK, s3rver) is not loaded for `--help`; its
 * chunks sit next to it in dist/, one folder below the root like its sources. The engines carry their packages.
 */
export const BUNDLES = {
  cli: {
    entry: 'bin/pgproof.ts',
    file: 'pgproof.mjs',
    options: { format: 'esm', packages: 'external', splitting: true, chunkNames: 'pgproof-chunk-[hash]' },
  },
  backup: {
    entry: 'containers/backup/main.ts',
    file: 'backup.cjs',
    options: { format: 'cjs', external: ['pg-native'] },
  },
  verify: {
    entry: 'containers/verify/main.ts',
    file: 'verify.cjs',
    options: { format: 'cjs', external: ['pg-native'] },
  },
  discover: {
    entry: 'containers/discover/main.ts',
    file: 'discover.cjs',
    options: { format: 'cjs', external: ['pg-native'] },
  },
};

/** Chunks of older builds are removed after this long: a CLI started before the rebuild has loaded its chunks by then. */
const OLD_CHUNK_MS = 60 * 60 * 1000;

/** The list of source files a bundle was built from, kept next to it (`<bundle>.inputs.json`). */
const inputsFile = (file) => `${file}.inputs.json`;

/**
 * Whether the bundle at `file` is older than one of the files it was built from, or than the package and compiler
 * settings (which also stand for the bundled packages). Stats only those files, so a start stays cheap; a source
 * that a bundle newly imports is found through the file that imports it, which changed.
 */
function isStale(file) {
  // Synchronous stats: a hundred of them take about a millisecond, far less than as many promises.
  const mtime = (at) => statSync(at, { throwIfNoEntry: false })?.mtimeMs;
  const built = mtime(file);
  if (built === undefined) return true;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(inputsFile(file), 'utf8'));
  } catch {
    return true;
  }
  if (!Array.isArray(inputs)) return true;
  // A source gone since the build makes it stale; a settings file that does not exist (no lock file) does not.
  return (
    inputs.some((input) => (mtime(path.join(ROOT, input)) ?? Infinity) > built) ||
    SOURCE_FILES.some((name) => (mtime(path.join(ROOT, name)) ?? 0) > built)
  );
}

/**
 * Returns the path of each bundle asked for, building first the ones older than a file they were built from.
 * Concurrent callers each build into their own temporary folder and rename the files into place.
 * @param {Array<keyof typeof BUNDLES>} names
 * @returns {Promise<Record<string, string>>}
 */
export async function ensureBundles(names) {
  const paths = {};
  for (const name of names) {
    const bundle = BUNDLES[name];
    const file = path.join(OUT_DIR, bundle.file);
    paths[name] = file;
    if (isStale(file)) await build(bundle, file);
  }
  return paths;
}

/**
 * Builds one bundle into a temporary folder, then renames its files into dist/: chunks first (their names hold a
 * hash of their content, so a same-named chunk is the same file), the entry last, so that a reader never sees a
 * partial bundle, and concurrent builders only ever replace a file with an equal one.
 */
async function build(bundle, file) {
  await mkdir(OUT_DIR, { recursive: true });
  const temporary = path.join(OUT_DIR, `.build-${process.pid}-${Math.random().toString(16).slice(2)}`);
  const { name, ext } = path.parse(bundle.file);
  const esbuild = await import('esbuild');
  try {
    const { metafile } = await esbuild.build({
      entryPoints: [path.join(ROOT, bundle.entry)],
      absWorkingDir: ROOT,
      outdir: temporary,
      entryNames: name,
      outExtension: { '.js': ext },
      bundle: true,
      platform: 'node',
      target,
      logLevel: 'error',
      metafile: true,
      ...bundle.options,
    });
    // Packages are covered by package-lock.json: listing their files would make every start stat hundreds.
    const inputs = Object.keys(metafile.inputs).filter((input) => !input.split('/').includes('node_modules'));
    await writeFile(path.join(temporary, 'inputs.json'), JSON.stringify(inputs.sort()));
    await rename(path.join(temporary, 'inputs.json'), inputsFile(file));
    const outputs = Object.keys(metafile.outputs).map((output) => path.basename(output));
    for (const output of outputs.filter((o) => o !== bundle.file))
      await rename(path.join(temporary, output), path.join(OUT_DIR, output));
    await rename(path.join(temporary, bundle.file), file);
    if (bundle.options.chunkNames) await removeOldChunks(bundle.options.chunkNames, new Set(outputs));
  } catch (error) {
    throw new Error(`pgproof could not compile ${bundle.entry} (esbuild): ${error.message}`, { cause: error });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** Removes the chunks of earlier builds (named by `chunkNames`, not among `current`) once no start can still want them. */
async function removeOldChunks(chunkNames, current) {
  const prefix = chunkNames.slice(0, chunkNames.indexOf('['));
  for (const entry of await readdir(OUT_DIR)) {
    if (!entry.startsWith(prefix) || current.has(entry)) continue;
    const old = path.join(OUT_DIR, entry);
    const modified = await stat(old).then(
      (s) => s.mtimeMs,
      () => Date.now(),
    );
    if (Date.now() - modified > OLD_CHUNK_MS) await rm(old, { force: true });
  }
}

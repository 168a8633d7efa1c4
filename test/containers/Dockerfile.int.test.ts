// The engines' image cannot be built here (no Docker engine): these tests parse containers/Dockerfile and check what
// it installs, who it runs as and what it starts, and run the Dockerfile's own esbuild command on the entrypoints.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DockerIgnoreStrategy } from 'aws-cdk-lib';
import { DockerfileParser, type Dockerfile, type From, type Instruction } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SUPPORTED_PG_MAJORS } from '../../containers/common/pg-majors';
import { RDS_CA_BUNDLE_PATH } from '../../containers/common/tls';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dockerfilePath = path.join(repoRoot, 'containers/Dockerfile');
const majorsPath = path.join(repoRoot, 'containers/pg-majors.json');
/**
 * SHA-256 of https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem (108 certificates), as pinned by
 * several public Dockerfiles (e.g. PeerDB's `ADD --checksum=sha256:e5bb…`). Refresh: docs/container-image.md.
 */
const RDS_BUNDLE_SHA256 = 'e5bb2084ccf45087bda1c9bffdea0eb15ee67f0b91646106e466714f9de3c7e3';
/** The PGDG archive key ("PostgreSQL Debian Repository"), as published on apt.postgresql.org. */
const PGDG_FINGERPRINT = 'B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8';

let text: string;
let dockerfile: Dockerfile;

beforeAll(async () => {
  text = await readFile(dockerfilePath, 'utf8');
  dockerfile = DockerfileParser.parse(text);
});

const line = (i: Instruction) => i.getRange().start.line;

/** The instructions of build stage `index` (0-based, in file order). */
function stage(index: number): Instruction[] {
  const froms = dockerfile.getFROMs();
  const start = line(froms[index]!);
  const end = index + 1 < froms.length ? line(froms[index + 1]!) : Number.POSITIVE_INFINITY;
  return dockerfile.getInstructions().filter((i) => line(i) >= start && line(i) < end);
}
const finalStage = () => stage(dockerfile.getFROMs().length - 1);

/** An instruction's arguments as one line (continuations joined, whitespace collapsed). */
const argText = (i: Instruction) => (i.getArgumentsContent() ?? '').replace(/\s+/g, ' ').trim();
const ofKind = (instructions: Instruction[], keyword: string) => instructions.filter((i) => i.getKeyword() === keyword);

/** The shell commands of a RUN instruction, split at `;` and `&&`. */
const commands = (run: Instruction) =>
  argText(run)
    .split(/;\s|&&/)
    .map((c) => c.trim())
    .filter(Boolean);

/** The RUN of the final stage that installs PostgreSQL (the one reading pg-majors.json). */
function installRun(): Instruction {
  const runs = ofKind(finalStage(), 'RUN').filter(
    (r) => /apt-get install/.test(argText(r)) && /pg-majors\.json/.test(argText(r)),
  );
  expect(runs).toHaveLength(1);
  return runs[0]!;
}

describe('base images', () => {
  it('pins every stage to the same full node 24 bookworm-slim version', () => {
    // GIVEN
    const froms: From[] = dockerfile.getFROMs();
    // THEN
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      expect(from.getImageName()).toBe('node');
      // A full x.y.z version: never latest, never a bare major or floating minor.
      expect(from.getImageTag()).toMatch(/^24\.\d+\.\d+-bookworm-slim$/);
      expect(from.getImage()).not.toMatch(/latest/);
    }
    expect(new Set(froms.map((f) => f.getImage())).size).toBe(1);
  });

  it('runs the Node version package.json installs for the CLI and the tests', async () => {
    // GIVEN: the node binary the project pins (npm's "node" package), which the local engines run on
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    // THEN: the image's engines run on the same release as the local ones
    expect(dockerfile.getFROMs()[0]!.getImageTag()).toBe(`${pkg.dependencies.node}-bookworm-slim`);
  });

  it('bundles on the build platform, and builds only the runtime stage for the target platform', () => {
    // GIVEN: the stages in file order; the build stage only produces JavaScript (esbuild crashes under QEMU)
    const froms = dockerfile.getFROMs();
    const platformOf = (from: From) => from.getPlatformFlag()?.getValue();
    // THEN
    expect(platformOf(froms[0]!)).toBe('$BUILDPLATFORM');
    // The runtime stage takes the target platform (linux/amd64 or linux/arm64: CDK's asset platform) by default.
    expect(platformOf(froms.at(-1)!)).toBeUndefined();
    // Nothing of the build stage but JavaScript reaches the runtime stage.
    const fromBuild = dockerfile.getCOPYs().filter((c) => c.getFromFlag()?.getValue() === 'build');
    const copied = fromBuild.flatMap((c) =>
      c
        .getArguments()
        .slice(0, -1)
        .map((a) => a.getValue()),
    );
    expect(copied.length).toBeGreaterThan(0);
    expect(copied.filter((f) => !f.endsWith('.cjs'))).toEqual([]);
  });

  it('bundles in a named build stage from the locked dependency tree', () => {
    const build = stage(0);
    expect(dockerfile.getFROMs()[0]!.getBuildStage()).toBe('build');
    const copies = ofKind(build, 'COPY').map(argText);
    expect(copies[0]).toBe('package.json package-lock.json ./');
    const npmCi = ofKind(build, 'RUN').find((r) => /^npm ci\b/.test(argText(r)));
    expect(npmCi).toBeDefined();
    // The lock file is copied before `npm ci` runs, the sources after (dependency layer stays cached).
    expect(line(ofKind(build, 'COPY')[0]!)).toBeLessThan(line(npmCi!));
    expect(copies).toContain('containers/ containers/');
  });
});

describe('PostgreSQL from PGDG', () => {
  it('configures the PGDG repository with its key through signed-by, over https', () => {
    // GIVEN
    const cmds = commands(installRun());
    // WHEN
    const keyFetch = cmds.find((c) => c.includes('ACCC4CF8.asc'));
    const source = cmds.find((c) => c.includes('apt.postgresql.org/pub/repos/apt'));
    // THEN
    expect(keyFetch).toMatch(/^curl -f\S* .*https:\/\/www\.postgresql\.org\/media\/keys\/ACCC4CF8\.asc$/);
    const keyPath = /-o (\S+)/.exec(keyFetch!)?.[1];
    expect(keyPath).toMatch(/^\/(usr\/share\/postgresql-common\/pgdg|etc\/apt\/keyrings)\/\S+\.asc$/);
    expect(source).toContain(`deb [signed-by=${keyPath}] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main`);
    expect(source).toMatch(/> \/etc\/apt\/sources\.list\.d\/\S+\.list/);
    // Never the deprecated global trust store.
    expect(text).not.toMatch(/apt-key/);
  });

  it('trusts the downloaded PGDG key only after checking its fingerprint', async () => {
    // GIVEN: the Dockerfile's own check, run on the PGDG key that Debian's postgresql-common ships on this machine
    const cmds = commands(installRun());
    const keyFetch = cmds.findIndex((c) => c.includes('ACCC4CF8.asc'));
    const listing = cmds.findIndex((c) => c.startsWith('key_fingerprints='));
    const check = cmds.indexOf('test "$key_fingerprints" = "$PGDG_KEY_FINGERPRINT"');
    const source = cmds.findIndex((c) => c.includes('apt.postgresql.org/pub/repos/apt'));
    expect(keyFetch).toBeGreaterThanOrEqual(0);
    expect([keyFetch < listing, listing < check, check < source]).toEqual([true, true, true]);
    const arg = ofKind(finalStage(), 'ARG').find((a) => argText(a).startsWith('PGDG_KEY_FINGERPRINT='));
    expect(arg && argText(arg)).toBe(`PGDG_KEY_FINGERPRINT=${PGDG_FINGERPRINT}`);
    const keyPath = /-o (\S+)/.exec(cmds[keyFetch]!)![1]!;
    const pipeline = /^key_fingerprints="\$\((.*)\)"$/.exec(cmds[listing]!)?.[1];
    expect(pipeline).toContain(keyPath);
    const localKey = '/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc';
    const gnupgHome = await mkdtemp(path.join(os.tmpdir(), 'pgproof-gnupg-'));
    const fingerprints = async (keyFile: string) =>
      (
        await exec('sh', ['-c', pipeline!.replace(keyPath, keyFile)], { env: { ...process.env, GNUPGHOME: gnupgHome } })
      ).stdout.trim();
    try {
      // WHEN / THEN: the genuine key passes; a file holding a second primary key does not
      expect(await fingerprints(localKey)).toBe(PGDG_FINGERPRINT);
      const twoKeys = path.join(gnupgHome, 'two-keys.asc');
      await writeFile(twoKeys, (await readFile(localKey, 'utf8')).repeat(2));
      expect(await fingerprints(twoKeys)).not.toBe(PGDG_FINGERPRINT);
    } finally {
      await rm(gnupgHome, { recursive: true, force: true });
    }
  });

  it('installs server and client of every supported major from pg-majors.json, and zstd', async () => {
    // GIVEN: the file is copied into the image and read by the install step
    const copy = ofKind(finalStage(), 'COPY').find((c) => argText(c).startsWith('containers/pg-majors.json '));
    expect(copy).toBeDefined();
    const copiedTo = argText(copy!).split(' ')[1]!;
    const run = installRun();
    expect(line(copy!)).toBeLessThan(line(run));
    const cmds = commands(run);
    const assignment = cmds.find((c) => c.startsWith('pg_packages='));
    const expression = /node -p "([^"]+)"/.exec(assignment ?? '')?.[1];
    expect(expression).toContain(`require('${copiedTo}')`);

    // WHEN: the Dockerfile's own expression runs on the repository's pg-majors.json
    const { stdout } = await exec(process.execPath, ['-p', expression!.replace(copiedTo, majorsPath)]);
    const packages = stdout.trim().split(/\s+/);

    // THEN
    for (const major of SUPPORTED_PG_MAJORS) {
      expect(packages).toContain(`postgresql-${major}`);
      expect(packages).toContain(`postgresql-client-${major}`);
    }
    const install = cmds.find((c) => /apt-get install .*\$pg_packages/.test(c));
    expect(install).toMatch(/apt-get install -y --no-install-recommends /);
    expect(install!.split(' ')).toContain('zstd');
    expect(cmds.indexOf(assignment!)).toBeLessThan(cmds.indexOf(install!));
    // The majors are not repeated in the Dockerfile: pg-majors.json is the one place.
    expect(text).not.toMatch(/postgresql-(client-)?\d/);
  });

  it('prevents Debian from creating a default cluster, and cleans the apt lists', () => {
    const cmds = commands(installRun());
    const noCluster = cmds.indexOf("echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf");
    const firstInstallOfPostgres = cmds.findIndex((c) => c.includes('$pg_packages') && c.includes('apt-get install'));
    expect(noCluster).toBeGreaterThanOrEqual(0);
    expect(noCluster).toBeLessThan(firstInstallOfPostgres);
    // Every RUN that fetches apt lists removes them in the same layer.
    for (const run of ofKind(dockerfile.getInstructions(), 'RUN').filter((r) =>
      argText(r).includes('apt-get update'),
    )) {
      expect(argText(run)).toContain('rm -rf /var/lib/apt/lists/*');
    }
  });
});

describe('SUPPORTED_PG_MAJORS', () => {
  it('holds 14 through 18, as listed in pg-majors.json', async () => {
    expect(SUPPORTED_PG_MAJORS).toEqual(expect.arrayContaining([14, 15, 16, 17, 18]));
    const fromJson = JSON.parse(await readFile(majorsPath, 'utf8')) as number[];
    expect([...SUPPORTED_PG_MAJORS]).toEqual([...fromJson].sort((a, b) => a - b));
    expect(Object.isFrozen(SUPPORTED_PG_MAJORS)).toBe(true);
  });
});

describe('runtime stage', () => {
  it('runs as the fixed non-root uid 10001 with a writable /work', () => {
    const final = finalStage();
    const users = ofKind(final, 'USER').map(argText);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    expect(user.split(':')[0]).not.toMatch(/^(0|root)$/);
    expect(user).toBe('10001');
    const setup = ofKind(final, 'RUN')
      .map(argText)
      .find((r) => r.includes('useradd'));
    expect(setup).toMatch(/useradd [^;]*--uid 10001 [^;]*pgproof/);
    expect(setup).toMatch(/install -d -o 10001 -g 10001 [^;]*\/work/);
    expect(ofKind(final, 'WORKDIR').map(argText).at(-1)).toBe('/work');
  });

  it('sets production mode and the verify work dir', () => {
    const finalStart = line(dockerfile.getFROMs().at(-1)!);
    const env = Object.fromEntries(
      dockerfile
        .getENVs()
        .filter((e) => line(e) > finalStart)
        .flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()])),
    );
    expect(env).toMatchObject({ NODE_ENV: 'production', [ENGINE_ENV.workDir]: '/work' });
  });

  it('starts node on the backup bundle by default (verify overrides the command)', () => {
    const entrypoints = dockerfile.getENTRYPOINTs();
    const cmds = dockerfile.getCMDs();
    expect(entrypoints).toHaveLength(1);
    expect(cmds).toHaveLength(1);
    // Exec form (JSON): node is PID 1 and receives ECS's SIGTERM itself, no shell in between.
    expect(entrypoints[0]!.getJSONStrings().map((s) => s.getJSONValue())).toEqual(['node']);
    expect(cmds[0]!.getJSONStrings().map((s) => s.getJSONValue())).toEqual(['/app/backup.cjs']);
  });

  it('copies the three bundles from the build stage', () => {
    const copy = dockerfile.getCOPYs().find((c) => c.getFromFlag()?.getValue() === 'build');
    expect(copy).toBeDefined();
    expect(finalStage()).toContain(copy);
    const args = copy!.getArguments().map((a) => a.getValue());
    expect(args.slice(0, -1).sort()).toEqual(['/app/backup.cjs', '/app/discover.cjs', '/app/verify.cjs']);
    expect(args.at(-1)).toBe('/app/');
  });
});

describe('RDS CA bundle', () => {
  const bundleRun = () => {
    const runs = ofKind(finalStage(), 'RUN').filter((r) => argText(r).includes('$RDS_CA_BUNDLE_URL'));
    expect(runs).toHaveLength(1);
    return runs[0]!;
  };
  const arg = (name: string) => {
    const a = ofKind(finalStage(), 'ARG').find((x) => argText(x).startsWith(`${name}=`));
    return a && argText(a).slice(name.length + 1);
  };

  it("downloads AWS's global bundle at build time, pinned by SHA-256, to the path the tasks default to", () => {
    expect(arg('RDS_CA_BUNDLE_URL')).toBe('https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem');
    expect(arg('RDS_CA_BUNDLE_SHA256')).toBe(RDS_BUNDLE_SHA256);
    // (The node one-liner holds "; " itself, so positions are taken in the whole text, whitespace collapsed.)
    const run = argText(bundleRun());
    expect(commands(bundleRun())[0]).toBe('set -eux');
    const download = run.indexOf('"$RDS_CA_BUNDLE_URL" /etc/pgproof/certs/rds-global-bundle.pem;');
    const check = run.indexOf(
      '; echo "$RDS_CA_BUNDLE_SHA256 /etc/pgproof/certs/rds-global-bundle.pem" | sha256sum -c -;',
    );
    expect([download >= 0, download < check]).toEqual([true, true]);
    expect(RDS_CA_BUNDLE_PATH).toBe('/etc/pgproof/certs/rds-global-bundle.pem');
    // Before USER: the file is installed by root, read-only for the task user.
    const user = ofKind(finalStage(), 'USER')[0]!;
    expect(line(bundleRun())).toBeLessThan(line(user));
  });

  it('keeps a bundle whose hash matches and fails the build on any other bytes or an HTTP error', async () => {
    // GIVEN: the Dockerfile's own RUN, pointed at a local server and a temporary directory
    const good = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    let served = good;
    const server = createServer((req, res) => {
      if (req.url !== '/global-bundle.pem') {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-ca-'));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/global-bundle.pem`;
    const script = argText(bundleRun()).replaceAll('/etc/pgproof/certs', dir);
    const build = (sha: string, from = url) =>
      exec('sh', ['-c', script], {
        env: { PATH: process.env.PATH ?? '', RDS_CA_BUNDLE_URL: from, RDS_CA_BUNDLE_SHA256: sha },
      }).then(
        () => 0,
        (e: { code: number }) => e.code,
      );
    const sha = createHash('sha256').update(good).digest('hex');
    try {
      // WHEN / THEN
      expect(await build(sha)).toBe(0);
      expect(await readFile(path.join(dir, 'rds-global-bundle.pem'), 'utf8')).toBe(good);
      served = good.replace('MIIB', 'MIIC');
      expect(await build(sha)).not.toBe(0);
      expect(await build(sha, url.replace('global-bundle', 'missing'))).not.toBe(0);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('.dockerignore', () => {
  it('sends exactly what the Dockerfile copies, judged by the matcher CDK stages the asset with', async () => {
    // GIVEN: CDK's own .dockerignore semantics (the asset is staged and hashed with them)
    const patterns = (await readFile(path.join(repoRoot, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const strategy = new DockerIgnoreStrategy(repoRoot, patterns);
    const sent = (file: string) => !strategy.ignores(path.join(repoRoot, file));
    const copySources = dockerfile
      .getCOPYs()
      .filter((c) => !c.getFromFlag())
      .flatMap((c) =>
        c
          .getArguments()
          .slice(0, -1)
          .map((a) => a.getValue().replace(/\/$/, '')),
      );
    const { stdout } = await exec('git', ['ls-files'], { cwd: repoRoot });
    const tracked = stdout.split('\n').filter(Boolean);

    // THEN: every COPY source is in the context, with all the files under it
    expect(copySources).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'containers']),
    );
    for (const source of copySources) {
      const files = tracked.filter((f) => f === source || f.startsWith(`${source}/`));
      expect(files.length, source).toBeGreaterThan(0);
      expect(
        files.filter((f) => !sent(f)),
        source,
      ).toEqual([]);
    }
    // AND nothing else is: no local state, secrets, VCS data or unrelated code reaches the build (or the hash)
    const inCopiedPath = (f: string) => copySources.some((s) => f === s || f.startsWith(`${s}/`));
    expect(tracked.filter((f) => sent(f) && !inCopiedPath(f))).toEqual([]);
    for (const excluded of [
      'node_modules/pg/package.json',
      'containers/node_modules/x/index.js',
      '.git/HEAD',
      'cdk.out/manifest.json',
      '.pgproof/history.json',
      'test/smoke.test.ts',
      'docs/engines.md',
      'bench/x.ts',
      'coverage/index.html',
      '.env',
      'README.md',
    ]) {
      expect(sent(excluded), excluded).toBe(false);
    }
  });
});

describe('bundling the entrypoints', () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-bundle-'));
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  /** The Dockerfile's esbuild command (build stage), not a second copy of it. */
  function esbuildCommand(): string {
    const runs = ofKind(stage(0), 'RUN')
      .map(argText)
      .filter((r) => /^npx esbuild /.test(r));
    expect(runs).toHaveLength(1);
    return runs[0]!;
  }

  it('uses the flags the runtime needs', () => {
    const command = esbuildCommand();
    for (const flag of [
      '--bundle',
      '--platform=node',
      '--target=node24',
      '--format=cjs',
      '--external:pg-native',
      '--outdir=/app',
    ]) {
      expect(command.split(' ')).toContain(flag);
    }
    expect(command).toContain('containers/backup/main.ts');
    expect(command).toContain('containers/verify/main.ts');
    expect(command).toContain('containers/discover/main.ts');
  });

  it('produces /app/backup.cjs, /app/verify.cjs and /app/discover.cjs that parse and start', async () => {
    // GIVEN: the same command, writing to a temp dir instead of /app, run where only what the build stage copies
    // is (its node_modules stands for `npm ci`): an import from a folder the image does not get fails here too
    const command = esbuildCommand().replace('--outdir=/app', `--outdir=${outDir}`);
    const context = path.join(outDir, 'context');
    const copied = ofKind(stage(0), 'COPY').map((c) => c.getArguments().map((a) => a.getValue()));
    for (const args of copied) {
      const target = args.at(-1)!;
      for (const source of args.slice(0, -1)) {
        await cp(
          path.join(repoRoot, source),
          path.join(context, target.endsWith('/') && !source.endsWith('/') ? path.join(target, source) : target),
          { recursive: true },
        );
      }
    }
    await symlink(path.join(repoRoot, 'node_modules'), path.join(context, 'node_modules'));
    // WHEN
    await exec('sh', ['-c', command], { cwd: context });
    // THEN
    const bundles = ['backup.cjs', 'discover.cjs', 'verify.cjs'];
    expect((await readdir(outDir)).filter((f) => f !== 'context').sort()).toEqual(bundles);
    for (const bundle of bundles) {
      await exec(process.execPath, ['--check', path.join(outDir, bundle)]);
      // Started with no task environment, the bundle loads every module and reports the missing variable: proof
      // that it is self-contained (no node_modules next to it in the image) and runs on import.
      const started = await exec(process.execPath, [path.join(outDir, bundle)], {
        cwd: outDir,
        env: { PATH: process.env.PATH ?? '' },
      }).then(
        () => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => error,
      );
      expect(started.code).toBe(1);
      expect(JSON.parse(started.stdout.trim().split('\n').at(-1)!)).toMatchObject({
        status: 'FAILED',
        error: { name: 'ConfigError' },
      });
    }
  }, 20_000);
});

import os from 'node:os';
import path from 'node:path';
import { removeStaleWorkDirs } from '../../containers/common/work-dir';
import { say } from './output';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';

/** `--work-dir` wins over the engines' work-dir variable; the engines read the variable. */
export function applyWorkDir(flags: { workDir?: string }): void {
  if (flags.workDir) process.env[ENGINE_ENV.workDir] = path.resolve(flags.workDir);
}

/** Removes what runs killed before they could clean up left behind (decompressed dumps, throwaway clusters). */
export async function removeLeftovers(workDir: string | undefined): Promise<void> {
  const removed = await removeStaleWorkDirs([os.tmpdir(), ...(workDir ? [workDir] : [])]).catch(() => [] as string[]);
  for (const dir of removed) say(`removed ${dir}, left behind by a pgproof run that was killed`);
}

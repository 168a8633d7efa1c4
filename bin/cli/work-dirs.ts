import os from 'node:os';
import path from 'node:path';
import { removeStaleWorkDirs } from '../../containers/common/work-dir';
import { say } from './output';

/** `--work-dir` wins over PGPROOF_WORK_DIR; the engines read the variable. */
export function applyWorkDir(flags: { workDir?: string }): void {
  if (flags.workDir) process.env.PGPROOF_WORK_DIR = path.resolve(flags.workDir);
}

/** Removes what runs killed before they could clean up left behind (decompressed dumps, throwaway clusters). */
export async function removeLeftovers(workDir: string | undefined): Promise<void> {
  const removed = await removeStaleWorkDirs([os.tmpdir(), ...(workDir ? [workDir] : [])]).catch(() => [] as string[]);
  for (const dir of removed) say(`removed ${dir}, left behind by a pgproof run that was killed`);
}

import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';

/** The path of an executable on PATH, or undefined. */
export async function which(command: string, searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

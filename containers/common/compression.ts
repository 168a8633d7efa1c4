import { z } from 'zod';
import { ToolMissing } from './errors';
import type { CompressionConfig } from './engine-config';

/** What the manifest records about compression, so verify and restore can undo it. */
export const manifestCompressionSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('zstd'), level: z.number(), threads: z.number() }),
  z.object({ method: z.literal('pg_dump'), level: z.number() }),
  z.object({ method: z.literal('none') }),
]);
export type ManifestCompression = z.infer<typeof manifestCompressionSchema>;

/** How one backup is compressed: pg_dump's `-Z` and an optional filter process between pg_dump and S3. */
export interface CompressionPlan {
  readonly pgDumpArgs: string[];
  readonly filter?: { command: string; args: string[] };
  readonly manifest: ManifestCompression;
  readonly extension: string;
  /** Set when the configured method could not be used. */
  readonly notice?: string;
}

/** Pure: decides the plan from the configuration and whether a zstd binary exists. */
export function planCompression(config: CompressionConfig, zstdPath: string | undefined): CompressionPlan {
  if (config.method === 'zstd') {
    if (zstdPath) {
      return {
        pgDumpArgs: ['-Z', '0'],
        filter: { command: zstdPath, args: ['-q', '-c', `-${config.level}`, `-T${config.threads}`] },
        manifest: { method: 'zstd', level: config.level, threads: config.threads },
        extension: '.dump.zst',
      };
    }
    return {
      pgDumpArgs: ['-Z', '6'],
      manifest: { method: 'pg_dump', level: 6 },
      extension: '.dump',
      notice:
        "zstd is not installed: falling back to pg_dump's own compression (gzip level 6), which is slower; install zstd for faster backups",
    };
  }
  if (config.method === 'pg_dump') {
    return {
      pgDumpArgs: ['-Z', String(config.level)],
      manifest: { method: 'pg_dump', level: config.level },
      extension: '.dump',
    };
  }
  return { pgDumpArgs: ['-Z', '0'], manifest: { method: 'none' }, extension: '.dump' };
}

/** The filter that turns a stored object back into a pg_dump archive, if any. */
export function decompressionFilter(
  compression: ManifestCompression,
  zstdPath: string | undefined,
): { command: string; args: string[] } | undefined {
  if (compression.method !== 'zstd') return undefined;
  if (!zstdPath) {
    throw new ToolMissing(
      'this backup is compressed with zstd, but zstd is not installed here: install it (apt-get install zstd) to restore it',
    );
  }
  return { command: zstdPath, args: ['-q', '-d', '-c'] };
}

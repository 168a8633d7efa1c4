// The bucket `backups`, `prune` and `restore` read (the embedded S3 data under the state dir, or a bucket), and the
// client a pruning `run --local` deletes through.
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../containers/common/s3';
import { retentionPolicyOf } from '../../lib/config';
import type { RetentionPolicy } from '../../lib/common/retention';
import { EMBEDDED_S3_CREDENTIALS, type EmbeddedS3, startEmbeddedS3 } from '../../lib/local/embedded-s3';
import { readLocalConfigFile } from '../../lib/local/local-config';
import { usageError } from './usage-error';

export interface CatalogStore {
  readonly s3: S3Client;
  readonly storage: { bucket: string; prefix: string; endpoint?: string };
  stop(): Promise<void>;
}

/** Opens the local state dir's embedded S3 (`local`), or the bucket at AWS or an S3-compatible endpoint. */
export async function openCatalogStore(flags: {
  local?: boolean;
  stateDir: string;
  bucket?: string;
  s3Endpoint?: string;
  prefix: string;
}): Promise<CatalogStore> {
  const embedded = flags.local ? await startEmbeddedS3(path.resolve(flags.stateDir)) : undefined;
  const endpoint = embedded?.endpoint ?? flags.s3Endpoint;
  const storage = {
    bucket: embedded?.bucket ?? flags.bucket!,
    prefix: flags.prefix,
    ...(endpoint ? { endpoint } : {}),
  };
  const s3 = embedded ? embeddedS3Client(embedded) : createS3Client(storage);
  return { s3, storage, stop: async () => embedded?.stop() };
}

/** A client of the state dir's embedded S3 server, already started (by `openCatalogStore` or a local run). */
export function embeddedS3Client(embedded: Pick<EmbeddedS3, 'endpoint'>): S3Client {
  return createS3Client(
    { endpoint: embedded.endpoint },
    {
      accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  );
}

/** The `retention` of the configuration file (the policy's defaults without one); a bad field is a usage error. */
export async function retentionPolicyFrom(configFile: string | undefined): Promise<RetentionPolicy> {
  try {
    return retentionPolicyOf(configFile !== undefined ? await readLocalConfigFile(configFile) : {}, configFile);
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

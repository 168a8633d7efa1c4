import { randomBytes, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createS3Client } from '../../containers/common/s3';
import { describeStorageFailure } from './state-dir';

/** Credentials the embedded server accepts; they protect nothing (it listens on 127.0.0.1 only). */
export const EMBEDDED_S3_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
} as const;

export interface EmbeddedS3 {
  readonly endpoint: string;
  readonly bucket: string;
  /** The last storage failure (full disk, read-only file system), in words naming the directory, if any. */
  readonly storageFailure: () => string | undefined;
  stop(): Promise<void>;
}

/** The parts of s3rver's FilesystemStore (3.7) that write object data. */
interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: {
    bucket: string;
    key: string;
    content: Buffer | Readable;
    metadata: unknown;
  }): Promise<{ size: number; md5: string }>;
  putPart(
    bucket: string,
    uploadId: string,
    partNumber: number,
    content: Readable,
  ): Promise<{ size: number; md5: string }>;
  initiateUpload(bucket: string, key: string, uploadId: string, metadata: unknown): Promise<void>;
}

type S3ErrorClass = new (code: string, message: string) => Error;
const S3Error = createRequire(import.meta.url)('s3rver/lib/models/error') as S3ErrorClass;

/** Writes `content` to `file` through a temporary file renamed into place: never a partial file at `file`. */
async function writeAtomically(file: string, content: Buffer | Readable): Promise<{ size: number; md5: string }> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.partial-${randomBytes(4).toString('hex')}`;
  const md5 = createHash('md5');
  let size = 0;
  try {
    if (Buffer.isBuffer(content)) {
      md5.update(content);
      size = content.length;
      await writeFile(temporary, content, { mode: 0o600 });
    } else {
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(temporary, { mode: 0o600 });
        // s3rver 3.7 leaves this stream's errors unhandled: a full disk crashed the whole CLI.
        out.once('error', (error) => {
          content.unpipe(out);
          content.resume(); // drain the request so the client gets the error response
          reject(error);
        });
        out.once('close', () => resolve());
        content.once('error', (error) => {
          out.destroy();
          reject(error);
        });
        content.on('data', (chunk: Buffer) => {
          md5.update(chunk);
          size += chunk.length;
        });
        content.pipe(out);
      });
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  return { size, md5: md5.digest('hex') };
}

/**
 * Replaces the store's data writes with ones that handle file-system errors: the request fails with an S3 error
 * whose message names the directory and the cause (the backup task reports it), the failure is kept for the CLI,
 * and no partial object is left at the final key.
 */
function hardenStore(
  store: FilesystemStore,
  directory: string,
  onFailure: (message: string) => void,
  uploads: Set<string>,
): void {
  const fail = (error: unknown): never => {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    const message = describeStorageFailure(error, directory);
    onFailure(message);
    throw new S3Error('InternalError', `embedded S3 storage failed: ${message}`);
  };
  store.putObject = async (object) => {
    const file = store.getResourcePath(object.bucket, object.key, 'object');
    try {
      const { size, md5 } = await writeAtomically(`${file}.incoming`, object.content);
      await store.putMetadata(object.bucket, object.key, object.metadata, md5);
      await rename(`${file}.incoming`, file);
      return { size, md5 };
    } catch (error) {
      await rm(`${file}.incoming`, { force: true }).catch(() => undefined);
      return fail(error);
    }
  };
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const file = path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    try {
      const result = await writeAtomically(file, content);
      await writeFile(`${file}.md5`, result.md5, { mode: 0o600 });
      return result;
    } catch (error) {
      return fail(error);
    }
  };
  const initiate = store.initiateUpload.bind(store);
  store.initiateUpload = async (bucket, key, uploadId, metadata) => {
    uploads.add(path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId));
    try {
      await initiate(bucket, key, uploadId, metadata);
    } catch (error) {
      fail(error);
    }
  };
}

/** Starts s3rver on 127.0.0.1 with its data under `<stateDir>/s3`, and makes sure the bucket exists. */
export async function startEmbeddedS3(stateDir: string, bucket = 'pgproof-local'): Promise<EmbeddedS3> {
  const directory = path.join(stateDir, 's3');
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  let failure: string | undefined;
  const uploads = new Set<string>();
  hardenStore((server as unknown as { store: FilesystemStore }).store, directory, (m) => (failure = m), uploads);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client(
    { endpoint, region: EMBEDDED_S3_CREDENTIALS.AWS_REGION },
    {
      accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  );
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  client.destroy();
  return {
    endpoint,
    bucket,
    storageFailure: () => failure,
    stop: async () => {
      await server.close();
      // s3rver cannot abort a multipart upload (405): remove the parts of this server's unfinished uploads.
      for (const dir of uploads) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

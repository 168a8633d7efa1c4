import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StorageError } from './errors';

export interface StreamUploadOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly source: Readable;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  readonly kmsKeyId?: string;
  /** Bytes per part (S3 allows 10,000 parts). @default 16 MiB */
  readonly partSize?: number;
  /** Parts in flight at once; memory is about partSize × (queueSize + 1). @default 4 */
  readonly queueSize?: number;
  /**
   * Awaited after the source ended and before the upload is completed. It rejects when the producer failed
   * (pg_dump exited non-zero): the upload is then aborted and no object appears at the key.
   */
  readonly beforeComplete: () => Promise<void>;
  readonly onProgress?: (bytes: number) => void;
  /** Called when aborting an incomplete multipart upload fails (some S3-compatible servers refuse it). */
  readonly onAbortFailed?: (error: unknown) => void;
}

export interface StreamUploadResult {
  readonly bytes: number;
  readonly sha256: string;
}

export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const MAX_PARTS = 10_000;

/** A part size that keeps an object of `expectedBytes` under S3's part limit, with room to spare. */
export function partSizeFor(expectedBytes: number, minimum = DEFAULT_PART_SIZE): number {
  const needed = Math.ceil((expectedBytes * 1.5) / (MAX_PARTS * 0.9));
  const mib = 1024 * 1024;
  return Math.max(minimum, Math.ceil(needed / mib) * mib);
}

/**
 * Streams `source` into an S3 (multipart) upload, hashing and counting the bytes on the way, without any local
 * copy. The object becomes visible only if the source ended cleanly and `beforeComplete` resolved.
 */
export async function streamUpload(options: StreamUploadOptions): Promise<StreamUploadResult> {
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      options.onProgress?.(bytes);
      callback(null, chunk);
    },
    flush(callback) {
      options.beforeComplete().then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
  options.source.on('error', (error) => meter.destroy(error));
  options.source.pipe(meter);

  const upload = new Upload({
    client: options.client,
    params: {
      Bucket: options.bucket,
      Key: options.key,
      Body: meter,
      ContentType: options.contentType ?? 'application/octet-stream',
      ...(options.metadata ? { Metadata: options.metadata } : {}),
      ...(options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyId } : {}),
    },
    partSize: options.partSize ?? DEFAULT_PART_SIZE,
    queueSize: options.queueSize ?? 4,
    // We abort ourselves, so that a server refusing AbortMultipartUpload cannot hide the real error.
    leavePartsOnError: true,
  });

  try {
    await upload.done();
  } catch (error) {
    meter.destroy();
    await abortIncomplete(upload, options);
    throw error;
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function abortIncomplete(upload: Upload, options: StreamUploadOptions): Promise<void> {
  const uploadId = (upload as unknown as { uploadId?: string }).uploadId;
  if (!uploadId) return;
  try {
    await options.client.send(
      new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId }),
    );
  } catch (error) {
    options.onAbortFailed?.(error);
  }
}

/** Wraps an S3 error in a StorageError that says where and what. */
export function uploadError(error: unknown, bucket: string, key: string): StorageError {
  const e = error as { name?: string; message?: string };
  return new StorageError(
    `upload to s3://${bucket}/${key} failed: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`,
    { cause: error },
  );
}

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Where backups live: a bucket, a key prefix, and optionally a non-AWS endpoint (local S3 server, MinIO…). */
export interface StorageLocation {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region?: string;
  /** KMS key for server-side encryption of new objects. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
}

/**
 * Creates the S3 client. For a custom endpoint (local S3 server, MinIO) path-style addressing is used and the
 * SDK's default aws-chunked checksums are turned off: s3rver stores that framing as data, so the object would not be the dump. We
 * compute and check SHA-256 ourselves in any case.
 */
export function createS3Client(
  location: Pick<StorageLocation, 'endpoint' | 'region'>,
  credentials?: { accessKeyId: string; secretAccessKey: string },
): S3Client {
  const config: S3ClientConfig = {
    region: location.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: 4,
    ...(credentials ? { credentials } : {}),
  };
  if (location.endpoint) {
    config.endpoint = location.endpoint;
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(config);
}

/** Joins key parts with single slashes. */
export function joinKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
}

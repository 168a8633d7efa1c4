import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createS3Client } from '../../containers/common/s3';

/** Credentials the embedded server accepts; they protect nothing (it listens on 127.0.0.1 only). */
export const EMBEDDED_S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' } as const;

export interface EmbeddedS3 {
  readonly endpoint: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 with its data under `<stateDir>/s3`, and makes sure the bucket exists. */
export async function startEmbeddedS3(stateDir: string, bucket = 'pgproof-local'): Promise<EmbeddedS3> {
  const directory = path.join(stateDir, 's3');
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client(
    { endpoint, region: EMBEDDED_S3_CREDENTIALS.AWS_REGION },
    { accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
  );
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  client.destroy();
  return { endpoint, bucket, stop: () => server.close() };
}

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decompressionFilter } from './compression';
import { BackupNotFound, ChecksumMismatch, DiskFull, RestoreFailed, StorageError } from './errors';
import type { Manifest } from './manifest';
import { describeExit, TailBuffer } from './process';

export interface DownloadOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly manifest: Manifest;
  /** The archive file to write (pg_restore -j needs a seekable file). */
  readonly destination: string;
  readonly zstdPath: string | undefined;
  readonly signal?: AbortSignal;
  readonly onProgress?: (bytes: number) => void;
}

export interface DownloadResult {
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
}

function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Writes a chunk, waiting for drain; resolves false when the sink is broken. */
function write(sink: Writable, chunk: Buffer): Promise<boolean> {
  if (sink.destroyed || sink.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    if (sink.write(chunk)) return resolve(true);
    const done = (ok: boolean) => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      sink.off('error', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    sink.once('drain', onDrain);
    sink.once('close', onClose);
    sink.once('error', onClose);
  });
}

function finished(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) return resolve();
    stream.once('close', () => resolve());
  });
}

/**
 * Streams the object down, hashing every byte as it arrives and decompressing on the fly into `destination`.
 * The whole object is always hashed, even when decompression or the disk fails part-way, so a corrupted or
 * truncated object is reported as a checksum mismatch (before any restore), not as a confusing later error.
 */
export async function downloadArchive(options: DownloadOptions): Promise<DownloadResult> {
  const { manifest } = options;
  const started = Date.now();
  const dir = path.dirname(options.destination);
  const space = await statfs(dir).catch(() => undefined);
  const archiveBytes = manifest.uncompressedBytes ?? manifest.bytes;
  if (space && space.bavail * space.bsize < archiveBytes) {
    throw new DiskFull(
      `not enough disk space in ${dir} for the backup: ${archiveBytes} bytes ${manifest.uncompressedBytes !== undefined ? 'once decompressed' : 'stored (more once decompressed)'}, ` +
        `${space.bavail * space.bsize} bytes free; give the verify task more ephemeral storage`,
    );
  }
  const filter = decompressionFilter(manifest.compression, options.zstdPath);

  let body: Readable;
  try {
    const out = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: manifest.key }), {
      ...(options.signal ? { abortSignal: options.signal } : {}),
    });
    body = out.Body as Readable;
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === 'NoSuchKey')
      throw new BackupNotFound(
        `the backup object s3://${options.bucket}/${manifest.key} is missing (its manifest exists)`,
        { cause: error },
      );
    throw new StorageError(`cannot download s3://${options.bucket}/${manifest.key}: ${e.name}: ${e.message}`, {
      cause: error,
    });
  }

  const file = createWriteStream(options.destination, { mode: 0o600 });
  let fileError: unknown;
  let stopFilter = () => {};
  file.on('error', (error) => {
    fileError ??= error;
    // A full disk must not leave zstd blocked on a pipe nobody reads.
    stopFilter();
  });

  let sink: Writable = file;
  let filterExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: 0,
    signal: null,
  });
  const filterErr = new TailBuffer(5);
  if (filter) {
    const child = spawn(filter.command, filter.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined); // EPIPE when zstd gives up: reported through its exit status
    child.stderr.on('data', (d: Buffer) => filterErr.push(d));
    child.stdout.pipe(file);
    filterExit = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    sink = child.stdin;
    stopFilter = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', () => child.kill('SIGTERM'), { once: true });
  }

  const hash = createHash('sha256');
  let bytes = 0;
  let sinkOpen = true;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      options.onProgress?.(bytes);
      if (sinkOpen) sinkOpen = await write(sink, chunk);
    }
  } catch (error) {
    sink.destroy();
    await rm(options.destination, { force: true });
    if (options.signal?.aborted) throw options.signal.reason;
    throw new StorageError(
      `the download of s3://${options.bucket}/${manifest.key} broke off after ${bytes} bytes: ${(error as Error).message}`,
      { cause: error },
    );
  }
  sink.end();
  const exit = await filterExit;
  await finished(file);
  const sha256 = hash.digest('hex');

  if (sha256 !== manifest.sha256 || bytes !== manifest.bytes) {
    await rm(options.destination, { force: true });
    throw new ChecksumMismatch(
      `checksum mismatch for s3://${options.bucket}/${manifest.key}: downloaded ${bytes} bytes with SHA-256 ${sha256}, ` +
        `but the manifest records ${manifest.bytes} bytes with SHA-256 ${manifest.sha256}. The stored backup is ` +
        `corrupted or truncated; nothing was restored. Use an older backup and investigate the bucket.`,
    );
  }
  if (fileError) {
    await rm(options.destination, { force: true });
    if (isNoSpace(fileError)) {
      throw new DiskFull(
        `the disk filled up while writing ${options.destination} (${(fileError as Error).message}); give the verify task more ephemeral storage`,
        { cause: fileError },
      );
    }
    throw new RestoreFailed(`cannot write ${options.destination}: ${(fileError as Error).message}`, {
      cause: fileError,
    });
  }
  if (exit.code !== 0 || exit.signal) {
    await rm(options.destination, { force: true });
    throw new RestoreFailed(
      `decompressing the backup failed: zstd ${describeExit(exit.code, exit.signal)}: ${filterErr.text()}`,
    );
  }
  return { bytes, sha256, seconds: (Date.now() - started) / 1000 };
}

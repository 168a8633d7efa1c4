import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';

/** What the proxy does to the traffic between the pgproof programs and the S3 server. */
export type S3Fault =
  | { kind: 'none' }
  /** After this many bytes of object data were sent (PUT/UploadPart bodies), every connection is cut, for good. */
  | { kind: 'cut-uploads-after'; bytes: number }
  /** Downloads of dump objects come back with one byte flipped (storage corruption). */
  | { kind: 'corrupt-dump-downloads' }
  /** Downloads of dump objects come back shorter, with a matching Content-Length (a truncated object). */
  | { kind: 'truncate-dump-downloads'; bytes: number };

export interface S3FaultProxy {
  readonly endpoint: string;
  fault: S3Fault;
  /** Bytes of request bodies forwarded so far. */
  readonly uploadedBytes: () => number;
  close(): Promise<void>;
}

const DUMP = /\.dump(\.zst)?(\?|$)/;

/**
 * A real HTTP proxy on 127.0.0.1 in front of the local S3 server that injects storage faults. The Host header is
 * forwarded unchanged, so the clients' SigV4 signatures still verify.
 */
export async function startS3FaultProxy(target: string, fault: S3Fault = { kind: 'none' }): Promise<S3FaultProxy> {
  const upstream = new URL(target);
  let uploaded = 0;
  let cut = false;
  const sockets = new Set<import('node:net').Socket>();
  const proxy: S3FaultProxy = {
    endpoint: '',
    fault,
    uploadedBytes: () => uploaded,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const f = proxy.fault;
    if (cut) {
      req.socket.destroy();
      return;
    }
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const isDumpGet = req.method === 'GET' && DUMP.test(req.url ?? '') && (answer.statusCode ?? 500) < 300;
        const headers = { ...answer.headers };
        if (isDumpGet && f.kind === 'truncate-dump-downloads' && headers['content-length']) {
          const length = Number(headers['content-length']);
          const keep = Math.max(0, length - f.bytes);
          headers['content-length'] = String(keep);
          let seen = 0;
          res.writeHead(answer.statusCode ?? 500, headers);
          answer
            .pipe(
              new Transform({
                transform(chunk: Buffer, _e, cb) {
                  const room = Math.max(0, keep - seen);
                  seen += chunk.length;
                  cb(null, chunk.subarray(0, room));
                },
              }),
            )
            .pipe(res);
          return;
        }
        res.writeHead(answer.statusCode ?? 500, headers);
        if (isDumpGet && f.kind === 'corrupt-dump-downloads') {
          let flipped = false;
          answer
            .pipe(
              new Transform({
                transform(chunk: Buffer, _e, cb) {
                  if (!flipped && chunk.length > 0) {
                    const copy = Buffer.from(chunk);
                    copy[Math.floor(copy.length / 2)]! ^= 0xff;
                    flipped = true;
                    return cb(null, copy);
                  }
                  cb(null, chunk);
                },
              }),
            )
            .pipe(res);
          return;
        }
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req
      .pipe(
        new Transform({
          transform(chunk: Buffer, _e, cb) {
            uploaded += chunk.length;
            if (f.kind === 'cut-uploads-after' && uploaded > f.bytes) {
              cut = true;
              for (const s of sockets) s.destroy();
              return cb(new Error('connection cut by the fault proxy'));
            }
            cb(null, chunk);
          },
        }),
      )
      .on('error', () => out.destroy())
      .pipe(out);
  };

  const server: Server = createServer(handle);
  server.on('connection', (s) => {
    if (cut) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

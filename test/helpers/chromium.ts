// Debian's headless Chromium for the report's browser test, and a PNG decoder to look at its screenshots.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';

/** Where Debian's `chromium` package installs the browser (`.ci/run` installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

export const hasChromium = (): boolean => existsSync(CHROMIUM);

export interface ChromiumRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs headless Chromium once with its own throwaway profile; `--enable-logging=stderr --v=0` puts every message the
 * page writes to its console (errors, CSP violations, uncaught exceptions) on stderr as `…:CONSOLE…] "text"`.
 */
export async function runChromium(args: readonly string[], timeoutMs = 60_000): Promise<ChromiumRun> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'pgproof-chromium-'));
  try {
    return await new Promise<ChromiumRun>((resolve, reject) => {
      const child = spawn(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--hide-scrollbars',
          '--enable-logging=stderr',
          '--v=0',
          `--user-data-dir=${profile}`,
          ...args,
        ],
        // Its own process group, so a hung browser is ended with all its helper processes.
        { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const timer = setTimeout(() => {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
        reject(new Error(`chromium did not finish within ${timeoutMs} ms: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The page's console messages in Chromium's log (any level: a clean page writes none). */
export function consoleMessages(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /:CONSOLE(?::\d+)?\]/.test(line));
}

export interface Png {
  readonly width: number;
  readonly height: number;
  /** RGBA of one pixel. */
  pixel(x: number, y: number): [number, number, number, number];
}

/** Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's `--screenshot` writes). */
export function decodePng(file: Buffer): Png {
  if (file.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const data: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString('ascii', offset + 4, offset + 8);
    const body = file.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8];
      colorType = body[9]!;
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || body[12] !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${body[12]}`);
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const channels = colorType === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(data));
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? pixels[y * stride + i - channels]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels]! : 0;
      let value = line[i]!;
      if (filter === 1) value += left;
      else if (filter === 2) value += up;
      else if (filter === 3) value += Math.floor((left + up) / 2);
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        value += pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + i] = value & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const i = y * stride + x * channels;
      return [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, channels === 4 ? pixels[i + 3]! : 255];
    },
  };
}

/** How many pixels are within `tolerance` (per channel) of `rgb`. */
export function countColor(png: Png, rgb: readonly [number, number, number], tolerance = 16): number {
  let count = 0;
  for (let y = 0; y < png.height; y++)
    for (let x = 0; x < png.width; x++) {
      const [r, g, b] = png.pixel(x, y);
      if (Math.abs(r - rgb[0]) <= tolerance && Math.abs(g - rgb[1]) <= tolerance && Math.abs(b - rgb[2]) <= tolerance)
        count++;
    }
  return count;
}

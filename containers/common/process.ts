import { spawn, type SpawnOptions } from 'node:child_process';
import { redact } from '../../lib/common/redact';

/** Keeps the last lines of a stream (e.g. pg_dump's stderr) for error reports, bounded in memory. */
export class TailBuffer {
  private lines: string[] = [];
  private partial = '';

  constructor(
    private readonly maxLines = 20,
    private readonly maxLineLength = 500,
  ) {}

  push(chunk: Buffer | string): string[] {
    const text = this.partial + chunk.toString();
    const parts = text.split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    const complete = parts.filter((l) => l.trim() !== '').map((l) => l.slice(0, this.maxLineLength));
    this.lines.push(...complete);
    if (this.lines.length > this.maxLines) this.lines = this.lines.slice(-this.maxLines);
    return complete;
  }

  /** The retained lines (plus any unterminated last line), redacted. */
  text(): string {
    const all = this.partial.trim() ? [...this.lines, this.partial.slice(0, this.maxLineLength)] : this.lines;
    return redact(all.join('\n'));
  }
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion and collects its output (for `--version` probes, psql one-liners…). */
export function runCommand(command: string, args: string[], options: SpawnOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Describes how a child process ended, for error messages. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `was killed by ${signal}`;
  return `exited with status ${code}`;
}

import { redact } from '../../lib/common/redact';

/** A line for the user on stderr (progress, warnings, errors), with secrets masked. */
export function say(line: string): void {
  process.stderr.write(`${redact(line)}\n`);
}

/** A line of the command's result on stdout, with secrets masked. */
export function print(line: string): void {
  process.stdout.write(`${redact(line)}\n`);
}

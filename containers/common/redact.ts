/**
 * Keeps secrets out of every text the engines emit (logs, errors, task results). Secrets are registered once
 * at start-up (the database password); URL credentials and `password=` pairs are masked wherever they appear.
 */
const secrets = new Set<string>();

export const MASK = '***';

/** Registers a secret value so that every later `redact` call masks it. Short values are ignored (too noisy). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** Masks registered secrets, credentials in URLs and `password=…` pairs. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(MASK);
  out = out.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)[^@\s/]+@/gi, `$1${MASK}@`);
  out = out.replace(/(password\s*=\s*)('[^']*'|"[^"]*"|[^\s&;]+)/gi, `$1${MASK}`);
  return out;
}

/** For tests: forgets the registered secrets. */
export function clearSecrets(): void {
  secrets.clear();
}

/**
 * pgproof's one secret mask: every text the engines, the CLI, the local runner and the Lambdas emit (logs, errors,
 * task results, chat messages) passes through it. Two ways in: secrets registered once at start-up (the database
 * password) are masked wherever they appear, with URL credentials and `password=` pairs; and a secret URL (a
 * webhook or check-in URL, which carries its token) gets a redactor for every part of it that could be the token.
 */
export const MASK = '***';

/** Secret values registered in this process (the database password, a secret's text). */
const secrets = new Set<string>();

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

/*
 * Secret URLs: our own messages never hold them in the first place; this is the guard for text we did not write
 * (a fetch error, a response body that echoes the request).
 */

/** Path segments and query values shorter than this are words like `api` or `p`, not tokens. */
const MIN_SECRET_PART = 6;

/** The pieces of `url` that may be secret, longest first so a long token is masked before its substrings. */
export function secretParts(url: string): string[] {
  const parts = new Set<string>([url]);
  try {
    const parsed = new URL(url);
    parts.add(parsed.href);
    parts.add(`${parsed.origin}${parsed.pathname}`);
    for (const segment of parsed.pathname.split('/')) addPart(parts, segment);
    for (const value of parsed.searchParams.values()) addPart(parts, value);
    addPart(parts, parsed.username);
    addPart(parts, parsed.password);
  } catch {
    // Not a URL: the whole string is the only part we know of.
  }
  return [...parts].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
}

function addPart(parts: Set<string>, value: string): void {
  if (value.length < MIN_SECRET_PART) return;
  parts.add(value);
  // Bodies and errors may show the encoded or the decoded form.
  parts.add(encodeURIComponent(value));
  try {
    parts.add(decodeURIComponent(value));
  } catch {
    // A malformed escape sequence: the raw form is already masked.
  }
}

/** Returns a function that masks every secret part of `url` in a text. */
export function urlRedactor(url: string): (text: string) => string {
  const parts = secretParts(url);
  return (text) => {
    let out = text;
    for (const part of parts) out = out.split(part).join(MASK);
    return out;
  };
}

/**
 * Copies an error chain with every message passed through `redact`, keeping `name` and `code` (what a person
 * needs: ECONNREFUSED, TimeoutError). Undici's errors can quote the request URL, so they are never kept as is.
 */
export function scrubError(error: unknown, redact: (text: string) => string, depth = 0): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const cause = depth < 4 && source.cause !== undefined ? scrubError(source.cause, redact, depth + 1) : undefined;
  const copy = new Error(redact(source.message), cause ? { cause } : undefined);
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

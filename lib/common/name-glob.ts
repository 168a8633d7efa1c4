/**
 * The glob patterns of `exclude` (and `--exclude-databases`): `*` matches any run of characters (also none), `?`
 * exactly one, every other character only itself. A pattern matches a whole name, case-sensitively (PostgreSQL's
 * database names are case-sensitive). No character classes or escapes: `[`, `]` and `\` are literal, as they may
 * be in a database name.
 */
export function globMatches(pattern: string, name: string): boolean {
  // Characters, not UTF-16 units: `?` stands for one character even outside the Basic Multilingual Plane.
  const p = Array.from(pattern);
  const n = Array.from(name);
  let pi = 0;
  let ni = 0;
  // The last `*` seen and the name position it was tried at: on a mismatch it takes one more character.
  let star = -1;
  let starNi = 0;
  while (ni < n.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === n[ni]))) {
      pi++;
      ni++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      starNi = ni;
    } else if (star >= 0) {
      pi = star + 1;
      ni = ++starNi;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** The first of `patterns` that matches `name`, or undefined when none does. */
export function matchingPattern(patterns: readonly string[], name: string): string | undefined {
  return patterns.find((pattern) => globMatches(pattern, name));
}

// A small evaluator of CloudWatch Logs JSON filter patterns, for the subset pgproof's metric filters use:
// { <selector> <op> <value> } joined by && and || with parentheses; = and != on "strings" (with * wildcards) or
// numbers; <, >, <=, >= on numbers; IS TRUE | FALSE | NULL; NOT EXISTS. Anything else throws, so a pattern the
// evaluator does not understand fails the test instead of passing it.

type Json = unknown;

/** The value a `$.a.b[0]` selector picks from a parsed line, or undefined when absent. */
export function select(record: Json, selector: string): Json {
  if (!selector.startsWith('$')) throw new Error(`not a JSON selector: ${selector}`);
  const steps = [...selector.slice(1).matchAll(/\.([A-Za-z_][\w-]*)|\[(\d+)\]/g)];
  if (steps.map((s) => s[0]).join('') !== selector.slice(1)) throw new Error(`unsupported selector: ${selector}`);
  let value: Json = record;
  for (const [, key, index] of steps) {
    if (value === null || typeof value !== 'object') return undefined;
    value = key !== undefined ? (value as Record<string, Json>)[key] : (value as Json[])[Number(index)];
  }
  return value;
}

const TOKEN = /\s*(\(|\)|&&|\|\||!=|<=|>=|=|<|>|"(?:[^"\\]|\\.)*"|\$[\w.[\]-]*|-?\d+(?:\.\d+)?|[A-Za-z]+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`cannot read the filter pattern at "${text.slice(at)}"`);
    tokens.push(m[1]!);
  }
  return tokens;
}

function wildcardMatch(value: string, pattern: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(value);
}

/** Whether a JSON filter pattern (`{ … }`) matches one log line. A line that is not JSON never matches. */
export function matchesFilterPattern(pattern: string, line: string): boolean {
  const body = /^\s*\{(.*)\}\s*$/s.exec(pattern)?.[1];
  if (body === undefined) throw new Error(`not a JSON filter pattern: ${pattern}`);
  let record: Json;
  try {
    record = JSON.parse(line);
  } catch {
    return false;
  }
  const tokens = tokenize(body);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (t === undefined || (expected !== undefined && t !== expected))
      throw new Error(`expected ${expected ?? 'more'} in ${pattern}, got ${t ?? 'the end'}`);
    return t;
  };
  const comparison = (): boolean => {
    const selector = take();
    if (!selector.startsWith('$')) throw new Error(`expected a selector in ${pattern}, got ${selector}`);
    const value = select(record, selector);
    const op = take();
    if (op === 'IS') {
      const what = take();
      if (what === 'TRUE') return value === true;
      if (what === 'FALSE') return value === false;
      if (what === 'NULL') return value === null;
      throw new Error(`unsupported IS ${what} in ${pattern}`);
    }
    if (op === 'NOT') {
      take('EXISTS');
      return value === undefined;
    }
    const operand = take();
    if (operand.startsWith('"')) {
      if (op !== '=' && op !== '!=') throw new Error(`${op} compares numbers, not text, in ${pattern}`);
      const equal = typeof value === 'string' && wildcardMatch(value, JSON.parse(operand) as string);
      return op === '=' ? equal : typeof value === 'string' && !equal;
    }
    const n = Number(operand);
    if (!Number.isFinite(n)) throw new Error(`unsupported value ${operand} in ${pattern}`);
    if (typeof value !== 'number') return false;
    switch (op) {
      case '=':
        return value === n;
      case '!=':
        return value !== n;
      case '<':
        return value < n;
      case '>':
        return value > n;
      case '<=':
        return value <= n;
      case '>=':
        return value >= n;
      default:
        throw new Error(`unsupported operator ${op} in ${pattern}`);
    }
  };
  const unary = (): boolean => {
    if (peek() === '(') {
      take('(');
      const v = or();
      take(')');
      return v;
    }
    return comparison();
  };
  const and = (): boolean => {
    let v = unary();
    while (peek() === '&&') {
      take();
      v = unary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (peek() === '||') {
      take();
      v = and() || v;
    }
    return v;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]} in ${pattern}`);
  return result;
}

/** The number a metric filter publishes for a matching line (`metricValue` `$.field` or a literal), else undefined. */
export function metricValueOf(metricValue: string, line: string): number | undefined {
  if (!metricValue.startsWith('$')) return Number(metricValue);
  const value = select(JSON.parse(line), metricValue);
  return typeof value === 'number' ? value : undefined;
}

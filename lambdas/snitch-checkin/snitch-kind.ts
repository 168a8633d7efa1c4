import { ConfigError } from '../common/errors';

export const SNITCH_KINDS = ['deadmanssnitch', 'healthchecks', 'cronitor', 'generic'] as const;
/** The dead-man's-switch services a check-in can be shaped for. */
export type SnitchKind = (typeof SNITCH_KINDS)[number];

export const SNITCH_BODIES = ['none', 'text', 'json'] as const;
/** For the generic kind: GET without a body, or POST the summary as text or JSON. */
export type SnitchBody = (typeof SNITCH_BODIES)[number];

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/**
 * Recognises the service from its check-in URL; anything else is generic. Self-hosted Healthchecks
 * (`https://hc.example.com/ping/<uuid>`) must be configured as `healthchecks`.
 */
export function detectSnitchKind(url: string): SnitchKind {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return 'generic';
  }
  if (host === 'nosnch.in') return 'deadmanssnitch';
  if (host === 'hc-ping.com' || host === 'hchk.io') return 'healthchecks';
  if (host === 'cronitor.link') return 'cronitor';
  return 'generic';
}

/** The kind: stored with the URL in the secret, else configured (`SNITCH_KIND`), else recognised from the URL. */
export function chooseSnitchKind(
  url: string,
  fromSecret: string | undefined,
  origin: string,
  fromEnv: SnitchKind | undefined,
): SnitchKind {
  if (fromSecret !== undefined) {
    if (!isOneOf(SNITCH_KINDS, fromSecret))
      throw new ConfigError(`the "kind" in ${origin} must be one of ${SNITCH_KINDS.join(', ')}; got "${fromSecret}"`);
    return fromSecret;
  }
  return fromEnv ?? detectSnitchKind(url);
}

/** The generic kind's body: stored in the secret, else configured (`SNITCH_BODY`), else none (a GET). */
export function chooseSnitchBody(
  fromSecret: string | undefined,
  origin: string,
  fromEnv: SnitchBody | undefined,
): SnitchBody {
  if (fromSecret !== undefined) {
    if (!isOneOf(SNITCH_BODIES, fromSecret))
      throw new ConfigError(`the "body" in ${origin} must be one of ${SNITCH_BODIES.join(', ')}; got "${fromSecret}"`);
    return fromSecret;
  }
  return fromEnv ?? 'none';
}

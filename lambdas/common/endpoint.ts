import { z } from 'zod';
import { optionalEnv, type Environment } from './env';
import { MissingConfiguration, SecretInvalid } from './errors';
import type { SecretSource } from './secret-source';

/** Where a function posts, as configured. `url` is secret; `origin` describes where it came from, safely. */
export interface EndpointSetting {
  readonly url: string;
  /** The kind written next to the URL in the secret's JSON form, if any (validated by each function). */
  readonly kind?: string;
  /** The body mode written in the secret's JSON form, if any (snitch-checkin's generic kind). */
  readonly body?: string;
  /** E.g. `secret "pgproof/chat"` or `environment variable CHAT_WEBHOOK_URL`: safe to show in errors. */
  readonly origin: string;
}

/** The environment variables one function reads for its endpoint. */
export interface EndpointVariables {
  /** What the URL is for, in words: "chat webhook URL", "snitch check-in URL". */
  readonly describes?: string;
  /** Holds the URL directly (local runs). Wins over the secret when both are set. */
  readonly url: string;
  /** Holds the name of the Secrets Manager secret with the URL (AWS). */
  readonly secretName: string;
}

const jsonForm = z.object({
  url: z.string(),
  kind: z.string().optional(),
  body: z.string().optional(),
});

/**
 * Parses a secret or variable value: either the plain URL, or JSON `{"url": "...", "kind": "...", "body": "..."}`.
 * Errors name `origin` and what is wrong, never the value itself (it may be a valid URL with a typo in it).
 */
export function parseEndpointValue(value: string, origin: string): EndpointSetting {
  const text = value.trim();
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SecretInvalid(
        `${origin} starts with "{" but is not valid JSON; store the plain URL or {"url": "https://…", "kind": "…"}`,
      );
    }
    const parsed = jsonForm.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
      throw new SecretInvalid(
        `${origin} is JSON but not {"url": string, "kind"?: string, "body"?: string} (problem with: ${fields})`,
      );
    }
    return { url: checkUrl(parsed.data.url.trim(), origin), kind: parsed.data.kind, body: parsed.data.body, origin };
  }
  return { url: checkUrl(text, origin), origin };
}

function checkUrl(text: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SecretInvalid(`${origin} does not hold a valid URL (expected https://… or JSON {"url": "https://…"})`);
  }
  // Plain http would send the token in clear text; it is accepted only for a server on this machine.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SecretInvalid(`${origin} must hold an https URL (http only for localhost); got a ${url.protocol} URL`);
  }
  return text;
}

/**
 * Finds the endpoint: the URL variable if set (local runs), else the secret named by the secret-name variable
 * (AWS), else undefined (not configured).
 */
export async function resolveEndpoint(
  env: Environment,
  vars: EndpointVariables,
  secrets: SecretSource,
): Promise<EndpointSetting | undefined> {
  const direct = optionalEnv(env, vars.url);
  if (direct !== undefined) return parseEndpointValue(direct, `environment variable ${vars.url}`);
  const secretName = optionalEnv(env, vars.secretName);
  if (secretName === undefined) return undefined;
  const value = await secrets.getSecretString(secretName);
  return parseEndpointValue(value, `secret "${secretName}"`);
}

/** What a function does when no endpoint is configured. */
export type WhenUnconfigured = 'fail' | 'skip';

/**
 * `resolveEndpoint` for a handler: when nothing is configured, `skip` gives undefined (the local runtime prints the
 * message instead) and `fail` throws `MissingConfiguration` naming the variable (AWS: the stack always sets it, and
 * a silent skip would let a run end green with nobody told).
 */
export async function resolveConfiguredEndpoint(
  env: Environment,
  vars: EndpointVariables,
  secrets: SecretSource,
  whenUnconfigured: WhenUnconfigured,
): Promise<EndpointSetting | undefined> {
  const endpoint = await resolveEndpoint(env, vars, secrets);
  if (endpoint || whenUnconfigured === 'skip') return endpoint;
  const what = vars.describes ?? 'URL';
  throw new MissingConfiguration(
    vars.secretName,
    `${vars.secretName} is not set, so the function does not know which Secrets Manager secret holds the ${what}: ` +
      `redeploy the pgproof stack (it sets ${vars.secretName}), or set ${vars.url} to the ${what} itself`,
  );
}

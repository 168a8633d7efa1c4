import { describe, expect, it } from 'vitest';
import { parseEndpointValue, resolveEndpoint } from '../../../lambdas/common/endpoint';
import type { SecretSource } from '../../../lambdas/common/secret-source';
import { thrown } from '../../helpers/runs';

const TOKEN = 'xoxTOKEN1234567890secret';
const URL_WITH_TOKEN = `https://hooks.slack.com/services/T0000/B0000/${TOKEN}`;
const VARS = { url: 'CHAT_WEBHOOK_URL', secretName: 'CHAT_WEBHOOK_SECRET_NAME' };

function secretsOf(values: Record<string, string>): SecretSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    getSecretString: async (name) => {
      reads.push(name);
      const value = values[name];
      if (value === undefined) throw new Error(`test: no secret ${name}`);
      return value;
    },
  };
}

describe('parseEndpointValue', () => {
  it('accepts the plain URL', () => {
    expect(parseEndpointValue(` ${URL_WITH_TOKEN}\n`, 'secret "s"')).toEqual({
      url: URL_WITH_TOKEN,
      origin: 'secret "s"',
    });
  });

  it('accepts JSON with url, kind and body', () => {
    const value = JSON.stringify({ url: URL_WITH_TOKEN, kind: 'slack', body: 'json' });

    expect(parseEndpointValue(value, 'secret "s"')).toEqual({
      url: URL_WITH_TOKEN,
      kind: 'slack',
      body: 'json',
      origin: 'secret "s"',
    });
  });

  it.each([
    [`not a url at all ${TOKEN}`, /secret "pgproof\/chat" does not hold a valid URL/],
    [`{"url": "${URL_WITH_TOKEN}"`, /secret "pgproof\/chat" starts with "\{" but is not valid JSON/],
    [
      JSON.stringify({ href: URL_WITH_TOKEN }),
      /secret "pgproof\/chat" is JSON but not \{"url": string.*\(problem with: url\)/,
    ],
    [
      `http://hooks.slack.com/services/${TOKEN}`,
      /secret "pgproof\/chat" must hold an https URL \(http only for localhost\); got a http: URL/,
    ],
    [`ftp://example.com/${TOKEN}`, /must hold an https URL/],
  ])('rejects %s with SecretInvalid that names the origin and never quotes the value', async (value, pattern) => {
    const error = await thrown(async () => parseEndpointValue(value, 'secret "pgproof/chat"'));

    expect(error.name).toBe('SecretInvalid');
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toContain(TOKEN);
  });

  it('accepts http only for a server on this machine (local tests)', () => {
    expect(parseEndpointValue('http://127.0.0.1:8080/hook', 'x').url).toBe('http://127.0.0.1:8080/hook');
    expect(parseEndpointValue('http://localhost/hook', 'x').url).toBe('http://localhost/hook');
  });
});

describe('resolveEndpoint', () => {
  it('uses the URL variable first, without reading the secret', async () => {
    const secrets = secretsOf({ 'pgproof/chat': 'https://example.com/from-secret' });

    const endpoint = await resolveEndpoint(
      { CHAT_WEBHOOK_URL: URL_WITH_TOKEN, CHAT_WEBHOOK_SECRET_NAME: 'pgproof/chat' },
      VARS,
      secrets,
    );

    expect(endpoint).toEqual({ url: URL_WITH_TOKEN, origin: 'environment variable CHAT_WEBHOOK_URL' });
    expect(secrets.reads).toEqual([]);
  });

  it('reads the named secret when no URL is given', async () => {
    const secrets = secretsOf({ 'pgproof/chat': JSON.stringify({ url: URL_WITH_TOKEN, kind: 'slack' }) });

    const endpoint = await resolveEndpoint(
      { CHAT_WEBHOOK_SECRET_NAME: 'pgproof/chat', CHAT_WEBHOOK_URL: '  ' },
      VARS,
      secrets,
    );

    expect(endpoint).toEqual({ url: URL_WITH_TOKEN, kind: 'slack', origin: 'secret "pgproof/chat"' });
    expect(secrets.reads).toEqual(['pgproof/chat']);
  });

  it('is undefined when nothing is configured', async () => {
    expect(await resolveEndpoint({}, VARS, secretsOf({}))).toBeUndefined();
  });
});

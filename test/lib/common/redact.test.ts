import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, MASK, redact, registerSecret, scrubError, urlRedactor } from '../../../lib/common/redact';

afterEach(() => clearSecrets());

describe('the secret mask', () => {
  it('masks a registered password and a webhook token with the same mask', () => {
    // GIVEN: the database password registered at start-up, and a chat webhook URL with its token
    registerSecret('hunter2-secret');
    const webhook = 'https://hooks.example.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';
    const maskUrl = urlRedactor(webhook);

    // WHEN: a text quoting both passes through both
    const text = maskUrl(redact(`login with hunter2-secret failed; posting to ${webhook} failed`));

    // THEN
    expect(text).toBe(`login with ${MASK} failed; posting to ${MASK} failed`);
    expect(MASK).toBe('***');
  });

  it('scrubs an error chain with the URL redactor, keeping the names', () => {
    // GIVEN
    const webhook = 'https://hooks.example.com/hook/abcdef123456';
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error(`connect to ${webhook} refused`), { code: 'ECONNREFUSED' }),
    });

    // WHEN
    const scrubbed = scrubError(error, urlRedactor(webhook));

    // THEN
    expect(scrubbed.name).toBe('TypeError');
    expect((scrubbed.cause as Error).message).toBe(`connect to ${MASK} refused`);
    expect((scrubbed.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });
});

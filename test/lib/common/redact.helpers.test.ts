import { describe, expect, it } from 'vitest';
import { TailBuffer } from '../../../containers/common/process';
import { clearSecrets, redact, registerSecret } from '../../../lib/common/redact';

describe('secret hygiene helpers', () => {
  it('masks registered secrets, URL credentials and password pairs', () => {
    clearSecrets();
    registerSecret('hunter2-secret');
    expect(redact('login failed for hunter2-secret')).toBe('login failed for ***');
    expect(redact('postgres://app:pa55word@db:5432/app')).toBe('postgres://app:***@db:5432/app');
    expect(redact('host=db password=abc123 user=x')).toBe('host=db password=*** user=x');
    clearSecrets();
  });
  it('keeps a bounded, redacted tail of stderr', () => {
    registerSecret('tail-secret-1');
    const tail = new TailBuffer(2);
    tail.push('one\ntwo\nthree tail-secret-1\npart');
    expect(tail.text()).toBe('two\nthree ***\npart');
    clearSecrets();
  });
});

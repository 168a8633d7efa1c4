import { describe, expect, it } from 'vitest';
import { connectionFromUrl, urlHasPassword } from '../../../containers/common/pg-connection';

const env = { USER: 'me' };

describe('connectionFromUrl accepts what libpq accepts', () => {
  it('a socket directory in the host query parameter with an empty host', () => {
    expect(connectionFromUrl('postgres://u@/db?host=/var/run/postgresql', env)).toMatchObject({
      host: '/var/run/postgresql',
      port: 5432,
      user: 'u',
      database: 'db',
    });
  });

  it('a percent-encoded socket directory as the host', () => {
    expect(connectionFromUrl('postgres://%2Fvar%2Frun%2Fpostgresql/db', env)).toMatchObject({
      host: '/var/run/postgresql',
      user: 'me',
      database: 'db',
    });
  });

  it('port, user, dbname and sslmode as query parameters, overriding the parts before them', () => {
    expect(connectionFromUrl('postgresql://a@h:1/x?port=6543&user=b&dbname=y&sslmode=require', env)).toMatchObject({
      host: 'h',
      port: 6543,
      user: 'b',
      database: 'y',
      sslMode: 'require',
    });
  });

  it('IPv6 literals with and without a port', () => {
    expect(connectionFromUrl('postgres://u@[::1]:5433/db', env)).toMatchObject({ host: '::1', port: 5433 });
    expect(connectionFromUrl('postgres://u@[2001:db8::7]/db', env)).toMatchObject({ host: '2001:db8::7', port: 5432 });
  });

  it('an empty host takes PGHOST, and the password comes from the URL or PGPASSWORD', () => {
    expect(connectionFromUrl('postgres:///db', { PGHOST: '/tmp/sock', PGPASSWORD: 'pw' })).toMatchObject({
      host: '/tmp/sock',
      database: 'db',
      password: 'pw',
    });
    expect(connectionFromUrl('postgres://u:p%40ss@h/db', env)).toMatchObject({ user: 'u', password: 'p@ss' });
  });

  it('still refuses other schemes and garbage, without repeating the URL', () => {
    expect(() => connectionFromUrl('mysql://x', env)).toThrow(/must start with postgres:\/\//);
    expect(() => connectionFromUrl('postgres://u:secretpw@h:notaport/db', env)).toThrow(/invalid host:port/);
    expect(() => connectionFromUrl('postgres://u:secretpw@h:99999/db', env)).toThrow(/port .* from 1 to 65535/);
    expect(() => connectionFromUrl('not a url', env)).toThrow(/not a valid URL/);
    try {
      connectionFromUrl('postgres://u:secretpw@h:notaport/db', env);
    } catch (error) {
      expect((error as Error).message).not.toContain('secretpw');
    }
  });

  it('tells whether a URL carries a password', () => {
    expect(urlHasPassword('postgres://u:pw@h/db')).toBe(true);
    expect(urlHasPassword('postgres://u@h/db?password=pw')).toBe(true);
    expect(urlHasPassword('postgres://u@h/db')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { ArchiveContents } from '../../../bin/restore/archive-contents';
import { planRestore, type TargetFacts } from '../../../bin/restore/restore-plan';
import { pgRestoreArgs } from '../../../containers/common/pg-restore';

describe('what the target can hold (issues 10.1, 10.6)', () => {
  const facts = (over: Partial<TargetFacts> = {}): TargetFacts => ({
    serverMajor: 15,
    superuser: true,
    canCreateSubscriptions: true,
    tablespaces: new Set(['pg_default', 'fast_ssd']),
    roles: new Map([
      ['postgres', { superuser: true }],
      ['alice', { superuser: false }],
    ]),
    labelProviders: new Set(),
    ...over,
  });
  const contents = (over: Partial<ArchiveContents> = {}): ArchiveContents => ({
    entries: [],
    tablespaces: [],
    labelProviders: [],
    ...over,
  });
  const entry = (type: string, name: string, owner: string) => ({
    dumpId: 1,
    type,
    schema: undefined,
    name,
    owner,
    line: '',
  });
  const plain = { noOwner: false, rolesToCreate: [] };

  it('keeps every part when the target can hold it', () => {
    expect(
      planRestore(
        contents({ tablespaces: ['fast_ssd'], entries: [entry('EVENT TRIGGER', 'et', 'postgres')] }),
        facts(),
        plain,
      ),
    ).toEqual({ skip: [], leftOut: [], notes: [] });
  });

  it('refuses superuser-only objects for a non-superuser, and owners that are not superusers unless --no-owner', () => {
    const et = contents({
      entries: [entry('EVENT TRIGGER', 'et', 'alice'), entry('FOREIGN DATA WRAPPER', 'w', 'bob')],
    });
    expect(() => planRestore(et, facts({ superuser: false }), { noOwner: true, rolesToCreate: [] })).toThrow(
      /only a superuser may create: event trigger "et", foreign-data wrapper "w"; nothing was changed/,
    );
    expect(() => planRestore(et, facts(), { noOwner: false, rolesToCreate: ['bob'] })).toThrow(
      /owners of event trigger "et" \("alice"\), foreign-data wrapper "w" \("bob", to be created as NOLOGIN\) are not superusers.*--no-owner/,
    );
    expect(planRestore(et, facts(), { noOwner: true, rolesToCreate: [] }).skip).toEqual([]);
  });

  it('leaves out all placement when a tablespace is missing, naming each and why', () => {
    const plan = planRestore(contents({ tablespaces: ['cold', 'fast_ssd'] }), facts(), plain);
    expect(plan.skip).toEqual(['tablespaces']);
    expect(plan.leftOut).toEqual([
      {
        object: 'tablespace cold',
        reason: 'does not exist on the target: its tables and indexes were placed in the default tablespace',
      },
      { object: 'tablespace fast_ssd', reason: expect.stringMatching(/exists on the target, but cold does not/) },
    ]);
  });

  it('lists subscriptions the user may not create, and notes restored ones are disabled', () => {
    const subs = contents({ entries: [entry('SUBSCRIPTION', 's1', 'postgres')] });
    expect(planRestore(subs, facts({ canCreateSubscriptions: false, serverMajor: 16 }), plain)).toEqual({
      skip: ['subscriptions'],
      leftOut: [
        {
          object: 'subscription s1',
          reason: 'creating subscriptions needs a superuser or a member of pg_create_subscription',
        },
      ],
      notes: [],
    });
    expect(planRestore(subs, facts(), plain).notes).toEqual([
      expect.stringMatching(/subscription s1 restored disabled.*ALTER SUBSCRIPTION "s1" ENABLE/),
    ]);
  });

  it('leaves out security labels whose provider is not loaded', () => {
    const plan = planRestore(contents({ labelProviders: ['selinux'] }), facts(), plain);
    expect(plan).toEqual({
      skip: ['security-labels'],
      leftOut: [{ object: 'security labels of provider selinux', reason: 'the provider is not loaded on the target' }],
      notes: [],
    });
    expect(
      planRestore(contents({ labelProviders: ['dummy'] }), facts({ labelProviders: new Set(['dummy']) }), plain).skip,
    ).toEqual([]);
  });

  it('passes only the chosen --no-* flags to pg_restore (verify keeps all three)', () => {
    expect(pgRestoreArgs('/x.dump', 2, 'db', [], ['tablespaces'])).toEqual(
      expect.arrayContaining(['--no-tablespaces']),
    );
    expect(pgRestoreArgs('/x.dump', 2, 'db', [], ['tablespaces'])).not.toContain('--no-subscriptions');
    expect(pgRestoreArgs('/x.dump', 2, 'db')).toEqual(
      expect.arrayContaining(['--no-tablespaces', '--no-subscriptions', '--no-security-labels']),
    );
  });
});

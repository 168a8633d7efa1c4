import { quoteIdent } from '../../containers/common/table-stats';
import type { RestoreSkip } from '../../containers/common/pg-restore';
import type { ArchiveContents } from './archive-contents';
import { RestoreRefused } from './restore-errors';

/** What the target server can hold, asked before anything is changed. */
export interface TargetFacts {
  readonly serverMajor: number;
  /** The restoring user is a superuser. */
  readonly superuser: boolean;
  /** The restoring user may create subscriptions (superuser, or pg_create_subscription on 16+). */
  readonly canCreateSubscriptions: boolean;
  readonly tablespaces: ReadonlySet<string>;
  /** Roles on the target and whether each is a superuser. */
  readonly roles: ReadonlyMap<string, { superuser: boolean }>;
  /** Security-label providers loaded on the target (probed). */
  readonly labelProviders: ReadonlySet<string>;
}

/** Something of the backup the restore did not bring over, and why. */
export interface LeftOut {
  readonly object: string;
  readonly reason: string;
}

export interface RestorePlan {
  readonly skip: RestoreSkip[];
  readonly leftOut: LeftOut[];
  /** Things restored in a state that needs a person (e.g. disabled subscriptions). */
  readonly notes: string[];
}

/** Object types whose owner must be a superuser, and that only a superuser may create. */
const SUPERUSER_ONLY: Readonly<Record<string, string>> = {
  'EVENT TRIGGER': 'event trigger',
  'FOREIGN DATA WRAPPER': 'foreign-data wrapper',
};

/**
 * Decides what of the archive the target can hold. Refuses (before anything is changed) when a restore would stop
 * half-way on objects the restoring user may not create or own; lists everything else left out, with the reason.
 */
export function planRestore(
  contents: ArchiveContents,
  target: TargetFacts,
  options: { noOwner: boolean; rolesToCreate: readonly string[] },
): RestorePlan {
  const superOnly = contents.entries.filter((e) => e.type in SUPERUSER_ONLY);
  const label = (e: { type: string; name: string }) => `${SUPERUSER_ONLY[e.type]} ${quoteIdent(e.name)}`;
  if (superOnly.length > 0 && !target.superuser) {
    throw new RestoreRefused(
      `the backup holds objects only a superuser may create: ${superOnly.map(label).join(', ')}; nothing was changed. ` +
        'Restore as a superuser (--target-url with a superuser), or restore the rest by hand without them (pg_restore --use-list, see docs/operations.md)',
    );
  }
  if (superOnly.length > 0 && !options.noOwner) {
    const notSuper = superOnly.filter((e) => e.owner !== undefined && !target.roles.get(e.owner)?.superuser);
    if (notSuper.length > 0) {
      const created = new Set(options.rolesToCreate);
      throw new RestoreRefused(
        `the owners of ${notSuper.map((e) => `${label(e)} (${quoteIdent(e.owner!)}${created.has(e.owner!) ? ', to be created as NOLOGIN' : target.roles.has(e.owner!) ? '' : ', missing'})`).join(', ')} ` +
          'are not superusers on the target, and only a superuser may own these; nothing was changed. ' +
          `Make them superusers first (ALTER ROLE ${quoteIdent(notSuper[0]!.owner!)} SUPERUSER, or CREATE ROLE … SUPERUSER NOLOGIN), or pass --no-owner to give every object to the restoring user`,
      );
    }
  }

  const skip: RestoreSkip[] = [];
  const leftOut: LeftOut[] = [];
  const notes: string[] = [];

  const missing = contents.tablespaces.filter((t) => !target.tablespaces.has(t));
  if (missing.length > 0) {
    // pg_restore keeps tablespace placement for all objects or for none.
    skip.push('tablespaces');
    for (const t of contents.tablespaces) {
      leftOut.push({
        object: `tablespace ${t}`,
        reason: missing.includes(t)
          ? 'does not exist on the target: its tables and indexes were placed in the default tablespace'
          : `exists on the target, but ${missing.join(', ')} does not and placement is kept for all tablespaces or none: its tables and indexes were placed in the default tablespace`,
      });
    }
  }

  const subscriptions = contents.entries.filter((e) => e.type === 'SUBSCRIPTION');
  if (subscriptions.length > 0 && !target.canCreateSubscriptions) {
    skip.push('subscriptions');
    for (const s of subscriptions) {
      leftOut.push({
        object: `subscription ${s.name}`,
        reason: `creating subscriptions needs a superuser${target.serverMajor >= 16 ? ' or a member of pg_create_subscription' : ''}`,
      });
    }
  } else {
    for (const s of subscriptions) {
      notes.push(
        `subscription ${s.name} restored disabled (pg_dump writes it with connect = false): check its connection, then ALTER SUBSCRIPTION ${quoteIdent(s.name)} ENABLE`,
      );
    }
  }

  const absentProviders = contents.labelProviders.filter((p) => !target.labelProviders.has(p));
  if (absentProviders.length > 0) {
    skip.push('security-labels');
    for (const p of contents.labelProviders) {
      leftOut.push({
        object: `security labels of provider ${p}`,
        reason: absentProviders.includes(p)
          ? 'the provider is not loaded on the target'
          : `the provider is loaded, but ${absentProviders.join(', ')} is not, and labels are restored all or none`,
      });
    }
  }
  return { skip, leftOut, notes };
}

/**
 * The environment variables of the Lambdas: the notification functions' are set by lib/notify-functions.ts (the secret
 * names) or by the local runner (the URLs themselves), read by lambdas/notify-chat and lambdas/snitch-checkin;
 * apply-retention's are set by the stack or the local runner.
 */

/** Environment variables of notify-chat. */
export const CHAT_ENV = {
  /** The webhook URL itself (local runs; wins over the secret). */
  url: 'CHAT_WEBHOOK_URL',
  /** The name of the Secrets Manager secret holding the URL (AWS). */
  secretName: 'CHAT_WEBHOOK_SECRET_NAME',
  /** slack | teams | google-chat | discord | generic; default: recognised from the URL. */
  kind: 'CHAT_WEBHOOK_KIND',
  /**
   * The S3 console URL of the report (a deployment of one database): needs a console login and never expires, so the
   * message may carry it; unset: no link.
   */
  reportUrl: 'PGPROOF_REPORT_URL',
} as const;

/** Environment variables of snitch-checkin. */
export const SNITCH_ENV = {
  /** The check-in URL itself (local runs; wins over the secret). */
  url: 'SNITCH_URL',
  /** The name of the Secrets Manager secret holding the URL (AWS). */
  secretName: 'SNITCH_URL_SECRET_NAME',
  /** deadmanssnitch | healthchecks | cronitor | generic; default: recognised from the URL. */
  kind: 'SNITCH_KIND',
  /** For the generic kind: none (GET, default) | text | json (POST the summary). */
  body: 'SNITCH_BODY',
} as const;

/** Environment variables of apply-retention (set by the stack, or by the local runner). */
export const RETENTION_ENV = {
  /** The backup bucket's name. */
  bucket: 'PGPROOF_BUCKET',
  /** The key prefix backups are written under; unset: the engines' default (`pgproof`). */
  prefix: 'PGPROOF_PREFIX',
  /** The retention policy as JSON: `{ keepDaily, keepWeekly, keepMonthly, keepYearly, keepVerifiedMin, unverifiedDays }`. */
  policy: 'PGPROOF_RETENTION',
  /** GOVERNANCE | COMPLIANCE: lock kept verified backups in this mode; unset: lock nothing. */
  objectLockMode: 'PGPROOF_OBJECT_LOCK_MODE',
  /** An S3-compatible endpoint (local runs, when no client is passed in); unset: AWS S3. */
  s3Endpoint: 'PGPROOF_S3_ENDPOINT',
} as const;

/** The Object Lock modes apply-retention accepts in `PGPROOF_OBJECT_LOCK_MODE`. */
export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE'] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

/** Environment variables of write-report (set by the stack, or by the local runner). */
export const REPORT_ENV = {
  /** The backup bucket's name. */
  bucket: 'PGPROOF_BUCKET',
  /** The key prefix backups are written under; unset: the engines' default (`pgproof`). */
  prefix: 'PGPROOF_PREFIX',
  /** The retention policy as JSON (as `RETENTION_ENV.policy`): the report shows what it keeps; unset: no status. */
  policy: 'PGPROOF_RETENTION',
  /**
   * JSON `{ "<database id>": "<database name>" }` for the fleet's databases whose id is not their name (the outcome
   * names the id; the report and its key folder the name); unset: every id is the name.
   */
  databaseNames: 'PGPROOF_DATABASE_NAMES',
  /** An S3-compatible endpoint (local runs, when no client is passed in); unset: AWS S3. */
  s3Endpoint: 'PGPROOF_S3_ENDPOINT',
} as const;

/**
 * The environment variables of the notification Lambdas: set by lib/notify-functions.ts (the secret names) or by the
 * local runner (the URLs themselves), read by lambdas/notify-chat and lambdas/snitch-checkin.
 */

/** Environment variables of notify-chat. */
export const CHAT_ENV = {
  /** The webhook URL itself (local runs; wins over the secret). */
  url: 'CHAT_WEBHOOK_URL',
  /** The name of the Secrets Manager secret holding the URL (AWS). */
  secretName: 'CHAT_WEBHOOK_SECRET_NAME',
  /** slack | teams | google-chat | discord | generic; default: recognised from the URL. */
  kind: 'CHAT_WEBHOOK_KIND',
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

/** Environment variables of apply-retention (the ApplyRetention state's Lambda). */
export const RETENTION_ENV = {
  /** The backup bucket. */
  bucket: 'PGPROOF_BUCKET',
  /** The key prefix of the deployment's objects. */
  prefix: 'PGPROOF_PREFIX',
  /** The retention policy as JSON (the configuration's `retention`, defaults filled in). */
  policy: 'PGPROOF_RETENTION',
  /** GOVERNANCE | COMPLIANCE when the bucket has Object Lock; absent: nothing is locked. */
  objectLockMode: 'PGPROOF_OBJECT_LOCK_MODE',
} as const;

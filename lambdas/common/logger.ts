import { Logger } from '@aws-lambda-powertools/logger';

/** What the logic needs from a logger; Powertools' Logger fits, and tests may pass a recorder. */
export interface LambdaLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * Creates the function's Powertools Logger (JSON lines, level from `POWERTOOLS_LOG_LEVEL`). Called once per
 * module so a warm container reuses it. Nothing secret is ever passed to it: URLs stay inside the HTTP client.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });
}

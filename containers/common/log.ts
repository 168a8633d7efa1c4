import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { redact } from '../../lib/common/redact';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type LogFields = Record<string, unknown>;

/** A structured logger: one JSON object per line, every line passed through `redact`. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const order: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

/**
 * Creates a JSON-lines logger. It writes to stderr by default because stdout carries the task's result in
 * local runs. Written by hand rather than with Powertools Logger: these are long-running container programs,
 * not Lambda functions, and every line must pass the redaction filter.
 */
export function createLogger(options: {
  service: string;
  level?: LogLevel;
  write?: (line: string) => void;
  fields?: LogFields;
}): Logger {
  const threshold = order[options.level ?? (process.env[ENGINE_ENV.logLevel] as LogLevel | undefined) ?? 'INFO'] ?? 20;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = { service: options.service, ...options.fields };
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (order[level] < threshold) return;
    const record = { level, timestamp: new Date().toISOString(), message, ...base, ...fields };
    write(redact(JSON.stringify(record, errorReplacer)));
  };
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    warn: (m, f) => emit('WARN', m, f),
    error: (m, f) => emit('ERROR', m, f),
    child: (fields) => createLogger({ ...options, fields: { ...options.fields, ...fields } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

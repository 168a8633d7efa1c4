import {
  ENGINE_LOG,
  phaseProgressMessage,
  type BackupCompleteFields,
  type BackupVerifiedFields,
  type CheckFields,
  type DumpProgressFields,
} from '../../lib/contracts/engine-log';
import type { Logger } from './log';

// The lines the metric filters and the local progress display read: the engines write them only through these.

export function logBackupComplete(logger: Logger, fields: BackupCompleteFields): void {
  logger.info(ENGINE_LOG.backupComplete, { ...fields });
}

export function logBackupVerified(logger: Logger, fields: BackupVerifiedFields): void {
  logger.info(ENGINE_LOG.backupVerified, { ...fields });
}

export function logCheck(logger: Logger, outcome: CheckFields): void {
  logger.info(ENGINE_LOG.check, { ...outcome });
}

export function logDumpProgress(logger: Logger, fields: DumpProgressFields): void {
  logger.info(ENGINE_LOG.dumpProgress, { ...fields });
}

export function logPhaseProgress(logger: Logger, phase: string, detail: string): void {
  logger.info(phaseProgressMessage(phase), { detail });
}

import { readFile } from 'node:fs/promises';
import type { EngineConfig } from '../../containers/common/engine-config';
import { ConfigError } from '../common/errors';
import { deploymentConfigSchema, ENGINE_KEYS, parseEngineConfigPart } from '../config';

/**
 * Reads the configuration file for a local run: the same file and schema as a deployment, of which only the
 * engine part applies here. Deployment keys are allowed but not required; an unknown key (a typo) is an error,
 * never silently ignored.
 */
export async function loadLocalEngineConfig(file: string | undefined): Promise<EngineConfig> {
  if (file === undefined) return parseEngineConfigPart({}, '(defaults)');
  return parseEngineConfigPart(await readLocalConfigFile(file), file);
}

/**
 * Reads the configuration file's JSON for a local run, refusing unknown top-level keys (a typo); the engine and fleet
 * parts are validated by whoever reads them (`localFleet`).
 */
export async function readLocalConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read the configuration file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const known = new Set([...ENGINE_KEYS, ...Object.keys(deploymentConfigSchema.shape), '$schema']);
    const unknown = Object.keys(value).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new ConfigError(
        `${file}: ${unknown.join(', ')}: unknown field${unknown.length > 1 ? 's' : ''} (known: ${[...ENGINE_KEYS].join(', ')} and the deployment fields of docs/deploying.md)`,
      );
    }
  }
  return value;
}

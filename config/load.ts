import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { configSchema, type Config } from './schema.ts';

export const DEFAULT_CONFIG_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'default.yaml');
const ENV_PREFIX = 'FILEINTEL_';
/** FILEINTEL_* variables that are not config keys. */
const NON_KEY_VARIABLES = new Set([
  'FILEINTEL_CONFIG',
  'FILEINTEL_API_KEY',
  'FILEINTEL_API_URL',
  'FILEINTEL_S3_ACCESS_KEY_ID',
  'FILEINTEL_S3_SECRET_ACCESS_KEY',
]);
/** Secrets read only from the environment (storage/index.ts); a config file must not hold them. */
const SECRET_KEYS = ['s3_access_key_id', 's3_secret_access_key'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function envVariableFor(key: string): string {
  return ENV_PREFIX + key.toUpperCase();
}

/**
 * Reads the YAML file (FILEINTEL_CONFIG or config/default.yaml), lays
 * FILEINTEL_* variables over it and validates the result. Any problem throws a
 * ConfigError naming the key, the value, where it came from and what is allowed.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.FILEINTEL_CONFIG ?? DEFAULT_CONFIG_PATH;
  const raw = readYaml(file);
  const secrets = SECRET_KEYS.filter((key) => key in raw);
  if (secrets.length > 0) {
    throw new ConfigError(
      `${file} holds ${secrets.join(', ')}: secrets are read only from the environment (${secrets.map(envVariableFor).join(', ')}); remove them from the file`,
    );
  }
  const sources: Record<string, string> = {};
  for (const key of Object.keys(raw)) sources[key] = file;

  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || NON_KEY_VARIABLES.has(variable) || text === undefined) continue;
    const key = variable.slice(ENV_PREFIX.length).toLowerCase();
    raw[key] = parseEnvValue(text);
    sources[key] = variable;
  }

  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;

  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? String(issue.path[0]) : '(config)';
    if (issue.code === 'unrecognized_keys') {
      return `unknown key(s) ${issue.keys.join(', ')} in ${file}`;
    }
    const value = key in raw ? JSON.stringify(raw[key]) : 'missing';
    return `${key} = ${value} (from ${sources[key] ?? 'nowhere'}): ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`config file ${file} must hold a mapping of keys to values`);
  }
  return value as Record<string, unknown>;
}

/** Environment values are YAML scalars or flow lists: "50" is a number, "[a, b]" a list. */
function parseEnvValue(text: string): unknown {
  try {
    return YAML.parse(text);
  } catch {
    return text;
  }
}

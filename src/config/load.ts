/**
 * Builds the configuration from, in rising precedence: defaults, a config file (JSON or YAML),
 * the environment (BATON_*), and command-line flags. Every source is validated by one schema, and
 * every problem is reported at once with the setting's name and where it came from.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.ts';
import { configSchema } from './schema.ts';
import type { BatonConfig, ConfigInput } from './schema.ts';

type Plain = Record<string, unknown>;

/** Environment variables with their own names; any other BATON_<SECTION>_<SETTING> maps to a nested setting. */
const ENV_TOP_LEVEL: Readonly<Record<string, keyof ConfigInput>> = {
  BATON_ID: 'nodeId',
  BATON_NODE_ID: 'nodeId',
  BATON_CLUSTER_ID: 'clusterId',
  BATON_LISTEN: 'listen',
  BATON_ADVERTISE: 'advertise',
  BATON_PEERS: 'peers',
  BATON_DATA: 'dataDir',
  BATON_DATA_DIR: 'dataDir',
  BATON_METRICS_LISTEN: 'metricsListen',
  BATON_JOIN: 'join',
  BATON_LOG_LEVEL: 'logLevel',
};
const ENV_SECTIONS = ['raft', 'replica', 'api', 'storage', 'workflows'] as const;

export interface LoadConfigOptions {
  /** Already-parsed flags, shaped like the config object (peers may still be a "n2=host:port,…" string). */
  readonly flags?: Plain;
  readonly env?: NodeJS.ProcessEnv;
  /** A JSON or YAML file; when absent, BATON_CONFIG names one. */
  readonly configFile?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): BatonConfig {
  const env = options.env ?? {};
  const filePath = options.configFile ?? env['BATON_CONFIG'];
  const fromFile = filePath === undefined || filePath === '' ? {} : readConfigFile(filePath);
  const fromEnv = configFromEnv(env);
  const merged = deepMerge(deepMerge(fromFile, fromEnv), options.flags ?? {});
  if (typeof merged['peers'] === 'string') merged['peers'] = parsePeers(merged['peers']);
  return validateConfig(merged);
}

export function validateConfig(input: unknown): BatonConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(describeIssues(result.error));
  const config = result.data;
  if (config.peers[config.nodeId] !== undefined) {
    throw new ConfigError(`peers: must not contain this node's own id "${config.nodeId}"`);
  }
  return config;
}

/** "n2=127.0.0.1:7002,n3=127.0.0.1:7003" → { n2: "127.0.0.1:7002", n3: "127.0.0.1:7003" }. */
export function parsePeers(text: string): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      throw new ConfigError(`peers: "${item}" is not id=host:port (e.g. n2=127.0.0.1:7002)`);
    }
    const id = item.slice(0, eq);
    if (peers[id] !== undefined) throw new ConfigError(`peers: node id "${id}" appears twice`);
    peers[id] = item.slice(eq + 1);
  }
  return peers;
}

function readConfigFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`config file ${path} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${path} is not valid JSON/YAML: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold an object of settings`);
  }
  return parsed as Plain;
}

function configFromEnv(env: NodeJS.ProcessEnv): Plain {
  const config: Plain = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('BATON_') || raw === undefined || name === 'BATON_CONFIG') continue;
    const top = ENV_TOP_LEVEL[name];
    if (top !== undefined) {
      config[top] = coerceEnv(top, raw);
      continue;
    }
    const rest = name.slice('BATON_'.length).toLowerCase();
    const section = ENV_SECTIONS.find((s) => rest.startsWith(`${s}_`));
    if (section === undefined) continue;
    const key = camelCase(rest.slice(section.length + 1));
    const nested = (config[section] ??= {}) as Plain;
    nested[key] = coerceScalar(raw);
  }
  return config;
}

function coerceEnv(key: keyof ConfigInput, raw: string): unknown {
  if (key === 'peers') return parsePeers(raw);
  if (key === 'join') return coerceScalar(raw);
  return raw;
}

function coerceScalar(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_match, c: string) => c.toUpperCase());
}

function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prior = out[key];
    out[key] =
      isPlain(value) && isPlain(prior) && key !== 'peers' ? deepMerge(prior, value) : value;
  }
  return out;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a required setting usually comes from, for error messages. */
const SETTING_SOURCES: Readonly<Record<string, string>> = {
  nodeId: '--id or BATON_ID',
  listen: '--listen or BATON_LISTEN',
  dataDir: '--data or BATON_DATA',
};

function describeIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    const source = SETTING_SOURCES[path];
    const message = missing
      ? `required${source === undefined ? '' : ` (set ${source})`}`
      : issue.message;
    return `  ${path === '' ? '(config)' : path}: ${message}`;
  });
  return `invalid configuration:\n${lines.join('\n')}`;
}

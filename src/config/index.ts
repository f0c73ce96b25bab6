export { loadConfig, validateConfig, parsePeers } from './load.ts';
export type { LoadConfigOptions } from './load.ts';
export { clusterIdSchema, configSchema, NODE_ID_PATTERN } from './schema.ts';
export type {
  BatonConfig,
  ConfigInput,
  RaftSettings,
  ReplicaSettings,
  ApiSettings,
  StorageSettings,
  WorkflowSettings,
} from './schema.ts';
export { ConfigError } from './errors.ts';

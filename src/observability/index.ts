export { createLogger, silentLogger } from './logger.ts';
export type { Logger, LoggerOptions } from './logger.ts';
export { NodeMetrics, ROLE_VALUES } from './metrics.ts';
export type { MetricsOptions } from './metrics.ts';
export { startOpsServer } from './http.ts';
export type { OpsServer, OpsServerOptions, Readiness } from './http.ts';

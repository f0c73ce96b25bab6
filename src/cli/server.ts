/** `baton server`: runs one node until SIGTERM/SIGINT, then shuts down gracefully. */
import { loadConfig } from '../config/index.ts';
import { startNode } from '../main.ts';
import type { RunningNode } from '../main.ts';

export interface ServerFlags {
  id?: string;
  clusterId?: string;
  listen?: string;
  advertise?: string;
  peers?: string;
  data?: string;
  metricsListen?: string;
  join?: boolean;
  logLevel?: string;
  config?: string;
}

export async function runServer(flags: ServerFlags): Promise<void> {
  const config = loadConfig({
    flags: {
      nodeId: flags.id,
      clusterId: flags.clusterId,
      listen: flags.listen,
      advertise: flags.advertise,
      peers: flags.peers,
      dataDir: flags.data,
      metricsListen: flags.metricsListen,
      join: flags.join === true ? true : undefined,
      logLevel: flags.logLevel,
    },
    env: process.env,
    ...(flags.config === undefined ? {} : { configFile: flags.config }),
  });
  let node: RunningNode | null = null;
  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) {
      console.error(`${reason} while shutting down: exiting at once`);
      process.exit(1);
    }
    stopping = true;
    const running = node;
    if (running === null) process.exit(0);
    running.logger.info({ reason }, 'graceful shutdown');
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  node = await startNode(config, {
    onFatal: () => {
      // The replica already logged the cause; a node that cannot trust its disk must not linger.
      setTimeout(() => process.exit(1), 100);
    },
    onRemoved: () => {
      // Logged by the replica, with what to do. Exit status 0: removing a node is an operator's
      // decision, not a failure a supervisor should answer by restarting it.
      setImmediate(() => {
        if (!stopping) stop('removal from the cluster');
      });
    },
  });
}

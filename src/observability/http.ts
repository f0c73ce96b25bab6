/**
 * The node's operational HTTP endpoint, on its own port: /metrics (Prometheus), /healthz (the
 * process is up), /readyz (the node knows a leader and has applied everything known committed).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

export interface OpsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
}

export interface OpsServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/metrics':
        options.registry.metrics().then(
          (text) =>
            response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
          (error: unknown) => response.writeHead(500).end(String(error)),
        );
        return;
      case '/healthz':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const readiness = options.readiness();
        response
          .writeHead(readiness.ready ? 200 : 503, { 'content-type': 'text/plain' })
          .end(`${readiness.ready ? 'ready' : 'not ready'}: ${readiness.reason}\n`);
        return;
      }
      default:
        response
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('not found: try /metrics, /healthz, /readyz\n');
    }
  });
  await listen(server, options.host, options.port);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

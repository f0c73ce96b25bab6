import { createServer } from 'node:net';

/**
 * Returns a loopback TCP port that was free a moment ago. A node needs its peers' addresses
 * before any of them listens, so port 0 cannot be used directly; the small race this leaves is
 * acceptable on a test machine.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a loopback listener'));
        return;
      }
      const { port } = address;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Returns `count` distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  const attemptsMax = count * 20;
  for (let attempt = 0; ports.size < count && attempt < attemptsMax; attempt++) {
    ports.add(await freePort());
  }
  if (ports.size < count) throw new Error(`could not find ${count} distinct free ports`);
  return [...ports];
}

/** Reads a node's Prometheus /metrics endpoint (for assertions on what a node did internally). */

/** The sum over all label sets of one metric, or undefined when the node does not export it. */
export async function scrapeMetric(
  metricsAddress: string,
  name: string,
): Promise<number | undefined> {
  const response = await fetch(`http://${metricsAddress}/metrics`);
  if (!response.ok)
    throw new Error(`GET http://${metricsAddress}/metrics: HTTP ${response.status}`);
  const text = await response.text();
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!rest.startsWith('{') && !rest.startsWith(' ')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

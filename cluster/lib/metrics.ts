/** Reads a node's Prometheus /metrics endpoint (for assertions on what a node did internally). */

/**
 * The sum over the label sets of one metric in Prometheus text exposition that carry every one
 * of `labels`, or undefined when there is none.
 */
export function metricFromExposition(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!rest.startsWith('{') && !rest.startsWith(' ')) continue;
    if (!wanted.every((pair) => rest.includes(pair))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** The sum over all label sets of one metric, or undefined when the node does not export it. */
export async function scrapeMetric(
  metricsAddress: string,
  name: string,
): Promise<number | undefined> {
  const response = await fetch(`http://${metricsAddress}/metrics`);
  if (!response.ok)
    throw new Error(`GET http://${metricsAddress}/metrics: HTTP ${response.status}`);
  return metricFromExposition(await response.text(), name);
}

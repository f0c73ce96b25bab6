import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { metricFromExposition, scrapeMetric } from './metrics.ts';
import { quantile, summarizeMs } from './stats.ts';

describe('latency summaries', () => {
  it('uses nearest-rank percentiles over the sorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    const summary = summarizeMs(samples);
    expect(summary).toMatchObject({
      count: 100,
      minMs: 1,
      p50Ms: 50,
      p99Ms: 99,
      maxMs: 100,
      meanMs: 50.5,
    });
    expect(quantile(Float64Array.from([3]), 0.99)).toBe(3);
  });

  it('reports NaN, not zero, for an empty run', () => {
    expect(Number.isNaN(summarizeMs([]).p50Ms)).toBe(true);
  });
});

describe('scrapeMetric', () => {
  it('sums a metric over its label sets and ignores metrics that only share a prefix', async () => {
    const body = [
      '# HELP baton_x_total x',
      'baton_x_total{node="n1"} 2',
      'baton_x_total{node="n2"} 3',
      'baton_x_total_other 100',
      'baton_y 7',
    ].join('\n');
    const server = createServer((_request, response) => {
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await scrapeMetric(`127.0.0.1:${port}`, 'baton_x_total')).toBe(5);
      expect(await scrapeMetric(`127.0.0.1:${port}`, 'baton_y')).toBe(7);
      expect(await scrapeMetric(`127.0.0.1:${port}`, 'baton_z')).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('keeps only the label sets that carry every label asked for', () => {
    const text = [
      'baton_calls_total{node="n1",outcome="2xx"} 4',
      'baton_calls_total{node="n1",outcome="5xx"} 1',
      'baton_calls_total{node="n2",outcome="2xx"} 6',
    ].join('\n');
    expect(metricFromExposition(text, 'baton_calls_total', { outcome: '2xx' })).toBe(10);
    expect(metricFromExposition(text, 'baton_calls_total', { node: 'n1', outcome: '5xx' })).toBe(1);
    expect(metricFromExposition(text, 'baton_calls_total', { outcome: '4xx' })).toBeUndefined();
  });
});

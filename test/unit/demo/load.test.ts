import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpbin } from '../../../src-pod/demo/httpbin';
import { parseLoadArgs, runLoad } from '../../../src-pod/demo/load';
import type { RunningApp } from '../../../src-pod/demo/serve';

let app: RunningApp;
beforeAll(async () => {
  app = await startHttpbin({ ports: [0], host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
});

describe('demo load', () => {
  it('sends at the fixed rate over keep-alive connections and reports percentiles', async () => {
    const r = await runLoad({ url: `http://127.0.0.1:${app.ports[0]}/anything`, rate: 200, connections: 4, durationS: 0.5, size: 1024 });
    expect(r.sent).toBe(100);
    expect(r.ok).toBe(100);
    expect(r.errors).toBe(0);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p90);
    expect(r.latencyMs.p90).toBeLessThanOrEqual(r.latencyMs.p99);
    expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.max);
  });

  it('counts failures instead of hiding them', async () => {
    const r = await runLoad({ url: `http://127.0.0.1:${app.ports[0]}/status/503`, rate: 100, connections: 2, durationS: 0.2, size: 0 });
    expect(r.ok).toBe(0);
    expect(r.errors).toBe(r.sent);
  });

  it('names the bad flag', () => {
    expect(() => parseLoadArgs(['http://x/', '--rate', 'fast'])).toThrow('load: --rate must be a number ≥ 0, got fast');
    expect(() => parseLoadArgs(['--rate', '5'])).toThrow('load: URL is missing');
    expect(parseLoadArgs(['http://x/', '--connections', '16'])).toMatchObject({ rate: 1000, connections: 16, size: 1024 });
  });
});

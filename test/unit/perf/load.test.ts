// `demo fortio load` against the lean echo server and a bare relay on loopback: fortio's flags, counts, text and JSON.
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEchoServer } from '../../../src-pod/perf/echo-server';
import { GoFlagError, parseGoDuration, formatGoDuration } from '../../../src-pod/perf/go-flags';
import { parseLoadArgs, resultText, runLoad, type LoadOptions } from '../../../src-pod/perf/load';
import { parseRoute, startRelay } from '../../../src-pod/perf/relay';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createEchoServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function options(argv: string[]): LoadOptions {
  const opts = parseLoadArgs(argv);
  if (opts === 'help') throw new Error('help');
  return opts;
}

describe('fortio flags', () => {
  it('reads fortio\'s flags the way Go does', () => {
    const o = options(['-qps', '500', '--c=8', '-t', '1m30s', '-payload-size', '1024', '-uniform', '-nocatchup', '-p', '50,90,99', 'server:8080/echo']);
    expect(o).toMatchObject({ qps: 500, connections: 8, durationS: 90, payloadSize: 1024, uniform: true, noCatchUp: true, percentiles: [50, 90, 99] });
    expect(o.url.href).toBe('http://server:8080/echo');
    expect(options(['http://x/'])).toMatchObject({ qps: 8, connections: 4, durationS: 5, payloadSize: 0, uniform: false });
  });

  it('names the flag at fault', () => {
    expect(() => parseLoadArgs(['-qps', 'fast', 'http://x/'])).toThrow('invalid value "fast" for flag -qps');
    expect(() => parseLoadArgs(['-c', '0', 'http://x/'])).toThrow('for flag -c: from 1 to 10000');
    expect(() => parseLoadArgs(['-t', '10', 'http://x/'])).toThrow('invalid value "10" for flag -t');
    expect(() => parseLoadArgs(['-bogus', 'http://x/'])).toThrow('flag provided but not defined: -bogus');
    expect(() => parseLoadArgs(['-qps', '5'])).toThrow('URL is missing');
    expect(() => parseLoadArgs(['https://x/'])).toThrow(GoFlagError);
  });

  it('parses and prints durations as Go does', () => {
    expect(parseGoDuration('1.5s')).toBe(1.5);
    expect(parseGoDuration('250ms')).toBeCloseTo(0.25, 12);
    expect(formatGoDuration(90)).toBe('1m30s');
    expect(formatGoDuration(10.000717)).toBe('10.000717s');
    expect(formatGoDuration(0.25)).toBe('250ms');
  });
});

describe('demo fortio load', () => {
  it('posts the payload at the fixed rate over keep-alive connections and reports as fortio', async () => {
    const opts = options(['-qps', '200', '-c', '4', '-t', '500ms', '-payload-size', '1024', '-uniform', '-nocatchup', `http://127.0.0.1:${port}/echo`]);
    const run = await runLoad(opts);
    const total = run.result.RetCodes['200'] + (run.result.Skipped ?? 0);
    expect(total).toBe(100);
    expect(run.result.RetCodes['-1']).toBeUndefined();
    expect(run.result.SocketCount).toBe(4);
    // Rates and latencies are the bench's to report; on a loaded machine a test only checks their shape.
    expect(run.result.ActualQPS).toBeGreaterThan(0);
    const hist = run.result.DurationHistogram;
    expect(hist.Percentiles?.map((p) => p.Percentile)).toEqual([50, 75, 90, 99, 99.9]);
    expect(hist.Min).toBeGreaterThan(0);
    expect(hist.Max).toBeGreaterThanOrEqual(hist.Min);
    const text = resultText(run, opts);
    expect(text).toMatch(/^Starting at 200 qps with 4 thread\(s\) for 500ms : 25 calls each \(total 100\)$/m);
    expect(text).toMatch(/^Aggregated Function Time : count \d+ avg /m);
    expect(text).toMatch(/^# target 99% \d/m);
    expect(text).toContain('Sockets used: 4 (for perfect keepalive, would be 4)');
    expect(text).toMatch(/^All done \d+ calls \(plus 4 warmup\) [\d.]+ ms avg, [\d.]+ qps$/m);
  });

  it('counts calls with no response as code -1 rather than hiding them', async () => {
    const closed = createEchoServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const run = await runLoad(options(['-qps', '100', '-c', '1', '-t', '100ms', `http://127.0.0.1:${deadPort}/`]));
    // Every call made is a -1 (how many fit in 100 ms depends on the machine's load, not on the count).
    const calls = run.result.DurationHistogram.Count;
    expect(calls).toBeGreaterThan(0);
    expect(run.result.RetCodes).toEqual({ '-1': calls });
    expect(resultText(run, options(['http://x/']))).toContain(`Code  -1 : ${calls} (100.0 %) (no response)`);
  });

  it('goes through a bare relay to the same server', async () => {
    const relay = await startRelay([{ port: 0, host: '127.0.0.1', upstreamPort: port }], '127.0.0.1');
    try {
      const relayPort = (relay.servers[0].address() as AddressInfo).port;
      const run = await runLoad(options(['-qps', '0', '-c', '2', '-t', '200ms', '-payload-size', '100', `http://127.0.0.1:${relayPort}/`]));
      expect(run.result.RetCodes['200']).toBeGreaterThan(20);
      expect(Object.keys(run.result.RetCodes)).toEqual(['200']);
    } finally {
      await relay.close();
    }
  });

  it('refuses a malformed relay route, naming it', () => {
    expect(() => parseRoute('15001=server')).toThrow('relay: --route takes PORT=HOST:PORT (ports 1-65535), got "15001=server"');
  });
});

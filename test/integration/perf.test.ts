// `sidecar-lab perf` on the real `performance` lab: every mode's load goes where it should, through the sidecars, past them, or through the bare relays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, runCli } from './helpers/cli';

interface ModeJson {
  mode: string;
  p50: number;
  p90: number;
  p99: number;
  qps: number;
  errors: number;
  calls: number;
  skipped: number;
  proxies: { name: string; cpu: number; memoryMB: number }[];
}

let modes: Map<string, ModeJson>;
let text: string;

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', 'performance']);
  const run = await cliOk(['perf', '--qps', '300', '--connections', '4', '--duration', '2', '--json'], { timeoutMs: 120_000 });
  modes = new Map((JSON.parse(run.stdout) as { modes: ModeJson[] }).modes.map((m) => [m.mode, m]));
  text = run.stderr;
}, 300_000);

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('sidecar-lab perf', () => {
  it('runs every mode on the schedule asked, with no errors', () => {
    expect([...modes.keys()]).toEqual(['baseline', 'server-only', 'both', 'both-excluded', 'relay']);
    for (const m of modes.values()) {
      expect({ mode: m.mode, errors: m.errors }).toEqual({ mode: m.mode, errors: 0 });
      // 300 qps for 2 s: 600 slots; a busy machine makes some late, and with no catch-up they are skipped, not sent in a burst.
      expect(m.calls + m.skipped).toBe(600);
      expect(m.calls).toBeGreaterThan(300);
      expect(m.qps).toBeGreaterThan(150);
      expect(m.p50).toBeGreaterThan(0);
      expect(m.p50).toBeLessThanOrEqual(m.p90);
      expect(m.p90).toBeLessThanOrEqual(m.p99);
    }
  });

  it('loads the sidecars in `both` and leaves them idle when the port is excluded', () => {
    const busy = modes.get('both')!.proxies;
    const idle = modes.get('both-excluded')!.proxies;
    expect(busy.map((p) => p.name)).toEqual(['mesh/client/istio-proxy', 'mesh/server/istio-proxy']);
    for (const p of busy) expect(p.cpu).toBeGreaterThan(0.01);
    for (const [i, p] of idle.entries()) expect(p.cpu).toBeLessThan(busy[i].cpu / 4);
    expect(modes.get('server-only')!.proxies[0].cpu).toBeGreaterThan(0.01);
    expect(busy[0].memoryMB).toBeGreaterThan(1);
  });

  it('sends the relay mode through the bare relays, captured by the rules as uid 1337', () => {
    for (const p of modes.get('relay')!.proxies) expect(p.cpu).toBeGreaterThan(0.005);
  });

  it('runs each mode at each count of a connection list, and says which', async () => {
    const run = await cliOk(['perf', '--mode', 'baseline', '--qps', '100', '--connections', '1,2', '--duration', '1', '--json'], { timeoutMs: 120_000 });
    const doc = JSON.parse(run.stdout) as { settings: { connections: unknown }; modes: (ModeJson & { connections: number })[] };
    expect(doc.settings.connections).toEqual([1, 2]);
    expect(doc.modes.map((m) => `${m.mode} ${m.connections} ${m.errors}`)).toEqual(['baseline 1 0', 'baseline 2 0']);
  });

  it("streams a load to a coalescing reader of the proxy's flow events as a few request events and exact per-connection summaries", async () => {
    // The capture's reader, at 5 request events a second; it reads while the load runs and a little after.
    const reader = runCli(['exec', 'client', '-n', 'mesh', '-c', 'istio-proxy', '--', 'curl', '-sN', '--max-time', '12', '--unix-socket', '/tmp/sidecar-lab.sock', 'http://sidecar/lab/flows?coalesce=5'], { timeoutMs: 60_000 });
    const load = await cliOk(['perf', '--mode', 'both', '--qps', '300', '--connections', '4', '--duration', '3', '--json'], { timeoutMs: 120_000 });
    const calls = (JSON.parse(load.stdout) as { modes: ModeJson[] }).modes[0].calls;
    const events = (await reader).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; summary?: { requests: number; codes: Record<string, number> } });
    const requests = events.filter((e) => e.type === 'request').length;
    const summaries = events.filter((e) => e.type === 'request.summary');
    expect(summaries.length).toBeGreaterThan(0);
    // 5 a second over the reader's 12 s, and a second's burst.
    expect(requests).toBeLessThanOrEqual(65);
    for (const s of summaries) expect(Object.values(s.summary!.codes).reduce((a, b) => a + b, 0)).toBe(s.summary!.requests);
    const counted = requests + summaries.reduce((n, s) => n + s.summary!.requests, 0);
    // The load makes one warm-up call per connection (fortio's) beside its calls; the reader may
    // join after the first of them, and never counts one twice.
    expect(counted).toBeLessThanOrEqual(calls + 4);
    expect(counted).toBeGreaterThan(calls / 2);
  });

  it('prints fortio\'s text and the summary', () => {
    expect(text).toMatch(/^# mode both: http:\/\/server\.mesh:8080\/echo from mesh\/client$/m);
    expect(text).toMatch(/^# target 99% /m);
    expect(text).toMatch(/^added p90, both: -?[\d.]+ ms \([\d.-]+ × the bare relay's\)$/m);
  });
});

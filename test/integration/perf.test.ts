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

  it('prints fortio\'s text and the summary', () => {
    expect(text).toMatch(/^# mode both: http:\/\/server\.mesh:8080\/echo from mesh\/client$/m);
    expect(text).toMatch(/^# target 99% /m);
    expect(text).toMatch(/^added p90, both: -?[\d.]+ ms \([\d.-]+ × the bare relay's\)$/m);
  });
});

// Rule changes made in a pod reach the live view at once: the rules stream, and the rule numbers of traced flows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabService, type LabServiceHandle } from '../../src-main/bridge/lab-service';
import type { Flow as CapturedFlow } from '../../src-main/lab/capture';
import { startCapture, type CaptureSession } from '../../src-main/lab/runtime/capture-session';
import type { LabStatus } from '../../src-main/lab/runtime/status';
import type { PodRules } from '../../src-main/contract/types';
import { cliOk, runCli } from './helpers/cli';
import { docker, dockerExec } from './helpers/docker';

let status: LabStatus;
let sleepPod: string;
let tap: string;

async function iptables(args: string[]): Promise<void> {
  const r = await dockerExec(tap, ['iptables', '-t', 'nat', ...args]);
  expect(r.code, r.out).toBe(0);
}

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', 'interception']);
  status = JSON.parse((await cliOk(['status', '--json'])).stdout) as LabStatus;
  const sleep = status.pods.find((p) => p.namespace === 'default' && p.name.startsWith('sleep-'));
  if (!sleep) throw new Error('no sleep pod');
  sleepPod = sleep.name;
  tap = `interception-default-${sleepPod}-tap`;
});

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('rules.counters', () => {
  let service: LabServiceHandle;
  afterAll(() => service?.dispose?.());

  it('sends the rules again as soon as a rule is inserted, not at the next sample', async () => {
    // A sampling interval far beyond the test: only the rule monitor can deliver the change in time.
    service = createLabService({ countersIntervalMs: 600_000 });
    const seen: PodRules[] = [];
    const dispose = service.subscribe('rules.counters', `default/${sleepPod}`, {
      data: (r) => seen.push(r as PodRules),
      error: (err) => {
        throw err;
      },
      end: () => undefined,
    });
    try {
      await expect.poll(() => seen.length, { timeout: 15_000 }).toBeGreaterThan(0);
      // The monitor starts after the first sample; give it a moment to attach.
      await new Promise((r) => setTimeout(r, 1_500));
      const before = seen.length;
      await iptables(['-I', 'ISTIO_OUTPUT', '1', '-d', '10.96.0.99/32', '-p', 'tcp', '-j', 'RETURN']);
      await expect.poll(() => seen.length, { timeout: 5_000, interval: 50 }).toBeGreaterThan(before);
      const chain = seen.at(-1)?.tables.find((t) => t.name === 'nat')?.chains.find((c) => c.name === 'ISTIO_OUTPUT');
      expect(chain?.rules[0]?.text).toContain('-d 10.96.0.99/32');
      await iptables(['-D', 'ISTIO_OUTPUT', '1']);
      const afterInsert = seen.length;
      await expect.poll(() => seen.length, { timeout: 5_000, interval: 50 }).toBeGreaterThan(afterInsert);
      const again = seen.at(-1)?.tables.find((t) => t.name === 'nat')?.chains.find((c) => c.name === 'ISTIO_OUTPUT');
      expect(again?.rules.some((r) => r.text.includes('10.96.0.99'))).toBe(false);
    } finally {
      dispose();
    }
  });
});

describe('capture', () => {
  let session: CaptureSession | undefined;
  afterAll(async () => session?.stop());

  /** The ISTIO_OUTPUT rule that sent the sleep pod's request to httpbin on to ISTIO_REDIRECT, by number. */
  async function redirectRuleOfNextRequest(flows: CapturedFlow[]): Promise<number | null | undefined> {
    const from = flows.length;
    const r = await dockerExec(`interception-default-${sleepPod}-sleep`, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://httpbin.default/get']);
    expect(r.out).toBe('200');
    let found: CapturedFlow | undefined;
    await expect
      .poll(
        () => {
          found = flows.slice(from).find((f) => f.direction === 'outbound' && f.destination.port === 80 && f.legs[0]?.outcome === 'redirected');
          return found !== undefined;
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    return found?.legs[0]?.rules.find((r) => r.chain === 'ISTIO_OUTPUT')?.ruleNumber;
  }

  it('numbers the rules a flow hit as they are now, after one is inserted above them', async () => {
    const flows: CapturedFlow[] = [];
    session = await startCapture(docker, 'interception', (pod, flow) => {
      if (pod.pod === sleepPod) flows.push(structuredClone(flow));
    });
    const before = await redirectRuleOfNextRequest(flows);
    expect(before).toBeGreaterThan(1);
    // The capture reads the proxy's events over a unix socket: its own reading is no flow in the pod.
    expect(flows.filter((f) => f.destination.port === 15021).map((f) => `${f.client.address} → ${f.destination.address}:15021`)).toEqual([]);
    await iptables(['-I', 'ISTIO_OUTPUT', '1', '-d', '10.96.0.98/32', '-p', 'tcp', '-j', 'RETURN']);
    // The index is re-read when the monitor reports the change; a request right after must see it.
    await new Promise((r) => setTimeout(r, 1_000));
    try {
      expect(await redirectRuleOfNextRequest(flows)).toBe((before ?? 0) + 1);
    } finally {
      await iptables(['-D', 'ISTIO_OUTPUT', '1']);
    }
  });

  it('shares one rule monitor in the tap with the rules view, which keeps it when the view closes', async () => {
    const monitorsInTap = async () => {
      const r = await dockerExec(tap, ['sh', '-c', `for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^xtables-monitor --event'`]);
      return Number(r.out.trim());
    };
    // The rules view of the first test closed: its monitor was stopped, not left to die at the next change.
    await expect.poll(monitorsInTap, { timeout: 5_000 }).toBe(1);
    const service = createLabService({ countersIntervalMs: 600_000 });
    const seen: PodRules[] = [];
    const dispose = service.subscribe('rules.counters', `default/${sleepPod}`, { data: (r) => seen.push(r as PodRules), error: () => undefined, end: () => undefined });
    try {
      await expect.poll(() => seen.length, { timeout: 15_000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await monitorsInTap()).toBe(1);
      // The view still hears of a change through the shared monitor.
      const before = seen.length;
      await iptables(['-I', 'ISTIO_OUTPUT', '1', '-d', '10.96.0.97/32', '-p', 'tcp', '-j', 'RETURN']);
      await expect.poll(() => seen.length, { timeout: 5_000, interval: 50 }).toBeGreaterThan(before);
    } finally {
      dispose();
      service.dispose?.();
      await iptables(['-D', 'ISTIO_OUTPUT', '1']);
    }
    // The capture still watches, and nobody else.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await monitorsInTap()).toBe(1);
    await session?.stop();
    session = undefined;
    await expect.poll(monitorsInTap, { timeout: 5_000 }).toBe(0);
  });
});

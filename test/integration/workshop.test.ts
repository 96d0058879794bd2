// The built-in workshops on real labs: `workshop verify` of each (each step fails from its start, passes with its solution), and a learner's check through the background flow recorder.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../src-main/lab/api/host-state';
import { flowLogPaths } from '../../src-main/workshop/flow-log';
import { progressFile } from '../../src-main/workshop/progress';
import { cliOk, runCli } from './helpers/cli';

const participant = `it-${process.pid}`;
const env = { SIDECAR_LAB_PARTICIPANT: participant };
const cli = (args: string[], timeoutMs = 170_000) => runCli(args, { env, timeoutMs });

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('the built-in workshops', () => {
  /** `workshop verify NAME` on a fresh lab: one `ok` line per step, nothing else, and the lab taken down again. */
  async function verified(name: string, steps: number): Promise<void> {
    await runCli(['down', '--all']);
    const r = await cli(['workshop', 'verify', name], 900_000);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('ok ')), r.stdout + r.stderr).toEqual([]);
    expect(lines.length).toBe(steps);
    expect(r.code).toBe(0);
    expect((await cliOk(['status', '--json'])).stdout.trim()).toBe('null');
  }

  it('verify: every step fails from its starting state and passes with its solution, on a fresh lab', async () => {
    await verified('traffic-flow', 22);
  }, 900_000);

  // traffic-flow-performance is not verified here yet: its step 1.2 check misses the new client
  // pod's bypassed flows in some runs (a capture race still being found; issue 15's note).

  it('check: says why a step failed, then passes on the learner\'s own request; progress is kept', async () => {
    await runCli(['down', '--all']);
    const start = await cli(['workshop', 'start', 'traffic-flow'], 600_000);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain('Step 1.1: Automatic injection: a label, then new pods');
    const recorder = JSON.parse(readFileSync(flowLogPaths('interception').pid, 'utf8')) as { pid: number; capturing: boolean };
    expect(recorder.capturing).toBe(true);

    const reset = await cli(['workshop', 'reset', 'traffic-flow', '4.3']);
    expect(reset.code, reset.stderr).toBe(0);
    // The wrong move: call the API without the exclusion rule.
    await cliOk(['exec', 'sleep', '-c', 'sleep', '--', 'curl', '-sk', '-o', '/dev/null', 'https://kubernetes.default/version']);
    const wrong = await cli(['workshop', 'check', 'traffic-flow', '4.3']);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('✗ Your last request to 10.96.0.1:443 from sleep was intercepted by listener 10.96.0.1_443, cluster outbound|443||kubernetes.default.svc.cluster.local; it was expected to be bypassed');

    await cliOk(['exec', 'sleep', '-c', 'tap', '--', 'iptables', '-t', 'nat', '-I', 'ISTIO_OUTPUT', '9', '-d', '10.96.0.1/32', '-j', 'RETURN']);
    await cliOk(['exec', 'sleep', '-c', 'sleep', '--', 'curl', '-sk', '-o', '/dev/null', 'https://kubernetes.default/version']);
    const right = await cli(['workshop', 'check', 'traffic-flow', '4.3']);
    expect(right.stdout).toContain('✓ Your last request to 10.96.0.1:443 from sleep bypassed the proxy through the rule `-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN`.');
    expect(right.code).toBe(0);
    expect(right.stdout).toContain('Step 4.4: Exclude a port on a Deployment');

    const progress = JSON.parse(readFileSync(progressFile('traffic-flow', participant), 'utf8')) as { current: string; steps: Record<string, { passedAt?: string }> };
    expect(progress.current).toBe('4.4');
    expect(progress.steps['4.3'].passedAt).toBeTruthy();
    expect((await cli(['workshop', 'list'])).stdout).toMatch(/traffic-flow .* 1\/22/);

    // The recorder stops by itself when its lab goes.
    await cliOk(['down', '--all']);
    const deadline = Date.now() + 15_000;
    while (processAlive(recorder.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(processAlive(recorder.pid)).toBe(false);
    expect(existsSync(flowLogPaths('interception').pid)).toBe(false);
  }, 900_000);
});

// One life of a stand-in (calls, then listeners) and kubelet's restart back-off around it.
import { spawn } from 'node:child_process';
import type { LogLine, RunningApp } from '../demo/serve';
import { makeCall, type CallResult } from './client';
import { startListeners } from './servers';
import type { CallSpec, StandinSpec } from './spec';

/** kubelet's CrashLoopBackOff: 10 s, doubling, at most 5 minutes. */
export function backoffSeconds(restarts: number): number {
  return Math.min(10 * 2 ** restarts, 300);
}

export interface RunDeps {
  log: LogLine;
  sleep: (ms: number) => Promise<void>;
  call: (c: CallSpec, timeoutMs: number) => Promise<CallResult>;
  listen: (spec: StandinSpec) => Promise<RunningApp>;
}

export const realDeps = (log: LogLine): RunDeps => ({
  log,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  call: (c, timeoutMs) => makeCall(c, timeoutMs),
  listen: (spec) => startListeners({ spec, log }),
});

/** Makes every call, retrying rounds as the spec says; true when all answered. */
export async function callOut(spec: StandinSpec, deps: RunDeps): Promise<boolean> {
  for (let attempt = 0; attempt <= spec.retries; attempt++) {
    let failed = 0;
    for (const c of spec.calls) {
      const r = await deps.call(c, spec.callTimeoutS * 1000);
      deps.log(`standin ${spec.name}: call ${c.url}: ${r.ok ? 'ok' : 'FAILED'}: ${r.detail} (${r.ms} ms)`);
      if (!r.ok) failed++;
    }
    if (failed === 0) return true;
    if (attempt < spec.retries) {
      deps.log(`standin ${spec.name}: retrying in ${spec.retryDelayS} s (${spec.retries - attempt} tries left)`);
      await deps.sleep(spec.retryDelayS * 1000);
    }
  }
  return false;
}

/** One start of the container: an exit code, or the listeners once they serve. */
export async function lifeOnce(spec: StandinSpec, deps: RunDeps): Promise<number | RunningApp> {
  const ok = spec.calls.length === 0 || (await callOut(spec, deps));
  if (!ok && spec.onCallFailure === 'exit') {
    deps.log(`standin ${spec.name}: its start-up calls failed; it exits 1, as the app would`);
    return 1;
  }
  if (spec.listens.length === 0) return 0;
  return deps.listen(spec);
}

/**
 * Runs `once` and, after each exit, what kubelet does under restartPolicy Always: waits the
 * back-off and starts it again. Returns the listeners, or the exit code with restart never.
 */
export async function withRestarts<T>(
  what: string,
  restart: 'always' | 'never',
  once: () => Promise<number | T>,
  deps: Pick<RunDeps, 'log' | 'sleep'>,
): Promise<number | T> {
  for (let restarts = 0; ; restarts++) {
    const result = await once();
    if (typeof result !== 'number' || restart === 'never') return result;
    const wait = backoffSeconds(restarts);
    deps.log(`standin: ${what} exited with code ${result}; kubelet would restart it in ${wait} s (restart ${restarts + 1}, CrashLoopBackOff)`);
    await deps.sleep(wait * 1000);
  }
}

/** Runs a command to its end with the container's stdio; resolves its exit code. */
export function runCommand(argv: string[], onChild: (stop: () => void) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    onChild(() => child.kill('SIGTERM'));
    child.once('error', (err) => {
      process.stderr.write(`standin: ${argv[0]}: ${err.message}\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}

// `sidecar-lab host` (the lab's Kubernetes API in the background, started by `up`) and `sidecar-lab kubeconfig`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { connectEngine } from '../lab/docker/engine';
import { LabApiHost } from '../lab/api/host';
import { apiPaths, liveApiEndpoint } from '../lab/api/host-state';
import { repoRoot } from '../lab/paths';
import type { CliIO } from './output';

/** Runs the lab's API in this process until SIGTERM or SIGINT. */
export async function hostCommand(lab: string, io: CliIO): Promise<number> {
  const live = liveApiEndpoint(lab);
  if (live && live.pid !== process.pid) {
    io.err(`host: lab ${lab}'s API is already served by process ${live.pid} at ${live.server}`);
    return 1;
  }
  const stamp = (m: string): void => io.err(`${new Date().toISOString()} ${m}`);
  const host = await LabApiHost.start({ docker: await connectEngine(), lab, log: stamp, detached: true });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  stamp('stopping');
  await host.close();
  return 0;
}

/**
 * Starts the API host for a running lab as a detached process (as dockerd runs: until `down`),
 * unless one is alive; waits until it serves. Returns its address.
 */
export async function ensureApiHost(lab: string, log: (m: string) => void): Promise<string> {
  const live = liveApiEndpoint(lab);
  if (live) return live.server;
  const paths = apiPaths(lab);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const out = openSync(paths.log, 'a');
  const resumed = existsSync(paths.objects);
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'sidecar-lab.mjs'), 'host', '--lab', lab], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  child.unref();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const endpoint = liveApiEndpoint(lab);
    if (endpoint && endpoint.pid === child.pid) {
      log(`Kubernetes API ${resumed ? 'resumed' : 'started'} at ${endpoint.server} (process ${child.pid}, log ${paths.log})`);
      return endpoint.server;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the lab's Kubernetes API did not start; see ${paths.log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function kubeconfigCommand(lab: string, io: CliIO): number {
  const live = liveApiEndpoint(lab);
  if (!live) {
    io.err(`kubeconfig: lab ${lab}'s Kubernetes API is not running: \`sidecar-lab up\` on the running lab resumes it`);
    return 1;
  }
  io.out(`export KUBECONFIG=${apiPaths(lab).kubeconfig}`);
  return 0;
}

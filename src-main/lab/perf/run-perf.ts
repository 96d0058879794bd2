// Runs `sidecar-lab perf` on the running lab: per mode, the load generator in the client pod and each proxy's CPU and memory from the engine.
import type Docker from 'dockerode';
import type { FortioResult } from '../../../src-pod/perf/load';
import { execIn } from '../runtime/docker-ops';
import { TRACE_WAIT_MS, waitUntilTraced } from '../runtime/capture-registry';
import { findExecTarget } from '../runtime/exec';
import type { LabStatus } from '../runtime/status';
import { loadCommand, MODE_PATHS, type PerfMode, type PerfOptions, type PodRef } from './modes';
import { modeResult, type ModeResult, type ProxyUsage } from './summary';

interface Sample {
  cpuNs: number;
  memoryBytes: number;
}

interface EngineStats {
  cpu_stats: { cpu_usage: { total_usage: number } };
  memory_stats: { usage?: number; stats?: Record<string, number> };
}

/** CPU time used so far and the working set (usage less inactive file pages, as `docker stats` shows it). */
async function sample(docker: Docker, dockerName: string): Promise<Sample> {
  const s = (await docker.getContainer(dockerName).stats({ stream: false })) as unknown as EngineStats;
  const m = s.memory_stats;
  const inactive = m.stats?.['inactive_file'] ?? m.stats?.['total_inactive_file'] ?? 0;
  return { cpuNs: s.cpu_stats.cpu_usage.total_usage, memoryBytes: Math.max(0, (m.usage ?? 0) - inactive) };
}

function dockerNameOf(status: LabStatus, ref: PodRef): string {
  return findExecTarget(status, ref.pod, ref.namespace, ref.container).dockerName;
}

/** Checks that the lab is the performance scenario before anything runs, naming what is missing. */
export function checkPerfLab(status: LabStatus, modes: readonly PerfMode[]): void {
  for (const mode of modes) {
    const path = MODE_PATHS[mode];
    for (const ref of [path.client, ...path.proxies]) {
      try {
        dockerNameOf(status, ref);
      } catch (err) {
        throw new Error(`perf: mode ${mode} needs the \`performance\` scenario (sidecar-lab up performance): ${(err as Error).message}`, { cause: err });
      }
    }
  }
}

export interface ModeRun {
  result: ModeResult;
  /** fortio's text output for the run. */
  text: string;
}

/** One mode: samples the proxies, runs the load, samples again; CPU is averaged over the load's actual duration. */
export async function runMode(docker: Docker, status: LabStatus, mode: PerfMode, opts: PerfOptions): Promise<ModeRun> {
  const path = MODE_PATHS[mode];
  const proxies = path.proxies.map((p) => ({ name: p.name, dockerName: dockerNameOf(status, p) }));
  // As exec does: a capture following the lab (the window, a workshop) traces the pods before the
  // load opens its connections, so a pod just made again is not measured unseen.
  const pods = new Set([path.client, ...path.proxies].map((ref) => findExecTarget(status, ref.pod, ref.namespace, ref.container).pod).map((pod) => `${pod.namespace}/${pod.name}`));
  for (const key of pods) {
    const [namespace, name] = key.split('/');
    await waitUntilTraced(docker, status.name, namespace, name, TRACE_WAIT_MS);
  }
  const before = await Promise.all(proxies.map((p) => sample(docker, p.dockerName)));
  const client = docker.getContainer(dockerNameOf(status, path.client));
  const run = await execIn(docker, client, loadCommand(path, opts));
  const after = await Promise.all(proxies.map((p) => sample(docker, p.dockerName)));
  if (run.exitCode !== 0) throw new Error(`perf: the load generator failed in mode ${mode} (exit ${run.exitCode}):\n${run.stderr.trim()}`);
  let fortio: FortioResult;
  try {
    fortio = JSON.parse(run.stdout) as FortioResult;
  } catch {
    throw new Error(`perf: the load generator's output in mode ${mode} is not JSON:\n${run.stdout.slice(0, 400)}`);
  }
  const seconds = fortio.ActualDuration / 1e9;
  const usage: ProxyUsage[] = proxies.map((p, i) => ({
    name: p.name,
    cpu: Math.round(((after[i].cpuNs - before[i].cpuNs) / 1e9 / seconds) * 1000) / 1000,
    memoryMB: Math.round((after[i].memoryBytes / 1e6) * 10) / 10,
  }));
  return { result: modeResult(mode, fortio, opts.qps, usage), text: run.stderr };
}

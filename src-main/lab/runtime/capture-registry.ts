// Which pods each live capture of a lab traces, kept in files so that another process (an exec about to run a learner's command) can wait until its pod is traced.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { processAlive } from '../api/host-state';
import { stateDir } from '../paths';
import { labStatus } from './status';

/** One capture session's file: the process that holds it and, by `namespace/pod`, the tap each pod is traced in. */
interface CaptureEntry {
  pid: number;
  pods: Record<string, string>;
}

const capturesDir = (lab: string): string => join(stateDir(), 'labs', lab, 'captures');

let sessions = 0;

/** A capture session's entry: `publish` after every refresh, `remove` when it stops. */
export function captureEntry(lab: string): { publish: (pods: Record<string, string>) => void; remove: () => void } {
  const file = join(capturesDir(lab), `${process.pid}-${++sessions}.json`);
  return {
    publish: (pods) => {
      mkdirSync(capturesDir(lab), { recursive: true });
      const entry: CaptureEntry = { pid: process.pid, pods };
      // Renamed in one step: a reader never sees half a file.
      writeFileSync(`${file}.tmp`, JSON.stringify(entry));
      renameSync(`${file}.tmp`, file);
    },
    remove: () => rmSync(file, { force: true }),
  };
}

/** The entries of captures whose process still runs (a killed one leaves a file behind that means nothing). */
export function liveCaptures(lab: string): CaptureEntry[] {
  let names: string[];
  try {
    names = readdirSync(capturesDir(lab)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const entries: CaptureEntry[] = [];
  for (const name of names) {
    try {
      const entry = JSON.parse(readFileSync(join(capturesDir(lab), name), 'utf8')) as CaptureEntry;
      if (processAlive(entry.pid)) entries.push(entry);
    } catch {
      // Removed or being written meanwhile: the next look reads it.
    }
  }
  return entries;
}

/** How long an exec waits for the lab's capture to trace a new pod. */
export const TRACE_WAIT_MS = 10_000;

export type TracedOutcome = 'traced' | 'no-capture' | 'no-sidecar' | 'timeout';

/**
 * Waits until every live capture of the lab traces the pod's current tap. A capture follows new
 * pods by polling, and the tap joins a pod after its apps: a command run right after
 * `kubectl rollout status` would otherwise open its first connection before anyone watches, and
 * a bypassed connection, which the proxy never sees, would be lost. Returns at once when no
 * capture runs, so exec costs nothing without one.
 */
export async function waitUntilTraced(docker: Docker, lab: string, namespace: string, pod: string, timeoutMs: number): Promise<TracedOutcome> {
  const key = `${namespace}/${pod}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const captures = liveCaptures(lab);
    if (captures.length === 0) return 'no-capture';
    const status = (await labStatus(docker, lab)).pods.find((p) => p.namespace === namespace && p.name === pod);
    if (!status || !status.sidecar) return 'no-sidecar';
    const tap = status.containers.find((c) => c.name === 'tap' && c.state === 'running')?.id;
    if (tap && captures.every((c) => c.pods[key] === tap)) return 'traced';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The flows checks read: captured in this process (verify), or recorded to a file by a background recorder so `workshop check` can read the learner's earlier requests.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { FlowBatcher } from '../bridge/live-capture';
import type { Flow } from '../contract/types';
import { processAlive } from '../lab/api/host-state';
import { repoRoot, stateDir } from '../lab/paths';
import { startCapture, type CaptureSession } from '../lab/runtime/capture-session';
import { readLabRecord } from '../lab/runtime/lab';

/** Past this size the log starts afresh (the previous one kept as .old): a workshop needs minutes, not days. */
const MAX_LOG_BYTES = 8_000_000;

export function flowLogPaths(lab: string): { dir: string; log: string; old: string; pid: string; out: string } {
  const dir = join(stateDir(), 'workshops', 'labs', lab);
  return { dir, log: join(dir, 'flows.jsonl'), old: join(dir, 'flows.jsonl.old'), pid: join(dir, 'recorder.json'), out: join(dir, 'recorder.log') };
}

/** The newest state of each flow in NDJSON text (a flow is written again each time it changes). */
export function latestFlows(text: string): Flow[] {
  const byId = new Map<string, Flow>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const f = JSON.parse(line) as Flow;
      byId.delete(f.id);
      byId.set(f.id, f);
    } catch {
      // A line cut short by a recorder that was killed mid-write: the next write of that flow has it.
    }
  }
  return [...byId.values()];
}

export function readFlowLog(lab: string): Flow[] {
  const p = flowLogPaths(lab);
  const text = [p.old, p.log].filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')).join('\n');
  return latestFlows(text);
}

/** Pods the lab's controllers start (a rollout, `kubectl apply`) are traced within a second. */
function followPods(session: CaptureSession, log: (m: string) => void): NodeJS.Timeout {
  let busy = false;
  return setInterval(() => {
    if (busy) return;
    busy = true;
    session
      .refresh()
      .catch((err: unknown) => log(`capture: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (busy = false));
  }, 1000);
}

/** Captures the lab's flows in this process, for as long as the caller needs them. */
export async function captureInProcess(docker: Docker, lab: string, log: (m: string) => void): Promise<{ flows: () => Promise<Flow[]>; stop: () => Promise<void> }> {
  const flows = new Map<string, Flow>();
  const batcher = new FlowBatcher((f) => flows.set(f.id, f));
  const session = await startCapture(docker, lab, (pod, flow, change) => batcher.add(pod, flow, change), log);
  const follow = followPods(session, log);
  return {
    flows: async () => {
      batcher.flush();
      return [...flows.values()];
    },
    stop: async () => {
      clearInterval(follow);
      await session.stop();
      batcher.flush();
    },
  };
}

interface RecorderRecord {
  pid: number;
  lab: string;
  labStartedAt: string;
  capturing: boolean;
}

function readRecorder(lab: string): RecorderRecord | undefined {
  const file = flowLogPaths(lab).pid;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RecorderRecord;
  } catch {
    return undefined;
  }
}

/** The recorder's process body: capture to the log until the lab goes (or is started anew) or a signal comes. */
export async function runRecorder(docker: Docker, lab: string, log: (m: string) => void): Promise<void> {
  const record = readLabRecord(lab);
  if (!record?.ready) throw new Error(`lab ${lab} is not up`);
  const p = flowLogPaths(lab);
  mkdirSync(p.dir, { recursive: true });
  const me: RecorderRecord = { pid: process.pid, lab, labStartedAt: record.startedAt, capturing: false };
  writeFileSync(p.pid, JSON.stringify(me));
  const batcher = new FlowBatcher((f) => {
    if (existsSync(p.log) && statSync(p.log).size > MAX_LOG_BYTES) renameSync(p.log, p.old);
    appendFileSync(p.log, `${JSON.stringify(f)}\n`);
  });
  const session = await startCapture(docker, lab, (pod, flow, change) => batcher.add(pod, flow, change), log);
  const follow = followPods(session, log);
  writeFileSync(p.pid, JSON.stringify({ ...me, capturing: true }));
  log(`recording flows of ${session.pods.map((x) => `${x.namespace}/${x.pod}`).join(', ')} to ${p.log}`);
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const now = readLabRecord(lab);
      if (!now || now.startedAt !== record.startedAt) {
        log(`lab ${lab} is gone or was started anew: stopping`);
        clearInterval(timer);
        done();
      }
    }, 2000);
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        clearInterval(timer);
        done();
      });
    }
  });
  clearInterval(follow);
  await session.stop().catch(() => undefined);
  batcher.flush();
  if (readRecorder(lab)?.pid === process.pid) rmSync(p.pid, { force: true });
}

/**
 * Starts the background recorder for the lab unless one is capturing it already; waits until it
 * captures, so a request made right after `workshop start` is seen.
 */
export async function ensureRecorder(lab: string, log: (m: string) => void): Promise<void> {
  const record = readLabRecord(lab);
  if (!record?.ready) throw new Error(`lab ${lab} is not up`);
  const live = readRecorder(lab);
  if (live && processAlive(live.pid) && live.labStartedAt === record.startedAt && live.capturing) return;
  const p = flowLogPaths(lab);
  mkdirSync(p.dir, { recursive: true });
  // Flows of an earlier lab of the same name mean nothing in this one.
  if (!live || live.labStartedAt !== record.startedAt) for (const f of [p.log, p.old]) rmSync(f, { force: true });
  const out = openSync(p.out, 'a');
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'sidecar-lab.mjs'), 'workshop', 'record', '--lab', lab], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  child.unref();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = readRecorder(lab);
    if (now && now.pid === child.pid && now.capturing) {
      log(`recording the lab's flows in the background (process ${child.pid}, log ${p.out})`);
      return;
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the flow recorder did not start; see ${p.out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

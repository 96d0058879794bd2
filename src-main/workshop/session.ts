// Running a workshop on a lab: finding it, putting a step back to its start, checking a step, and verify (every step fails, then passes with its solution, on a fresh lab).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { loadedWorkshopsDir } from '../lab/bundle/loaded-files';
import { resourcesDir } from '../lab/paths';
import { labDown, labsOnEngine, readLabRecord } from '../lab/runtime/lab';
import { setAppliedFiles } from '../lab/session';
import { clusterEnv } from '../lab/session/cluster-env';
import { evaluateStep, takeBaseline, type EvidenceContext, type StepBaseline } from './evidence';
import type { CheckResult } from './evaluate';
import { allSteps, parseWorkshop } from './parse';
import type { Step, Workshop } from './types';

export const WORKSHOPS_DIR = join(resourcesDir, 'workshops');

/** A workshop folder given as a path, or the name of a built-in one. */
export function resolveWorkshop(arg: string): Workshop {
  if (arg.includes('/') || existsSync(join(arg, 'workshop.yaml'))) return parseWorkshop(arg);
  // Built-in first, then those a classroom bundle brought (`bundle load`).
  const dir = [WORKSHOPS_DIR, loadedWorkshopsDir()].map((d) => join(d, arg)).find((d) => existsSync(join(d, 'workshop.yaml')));
  if (!dir) {
    throw new Error(`no workshop ${arg}: not a folder with a workshop.yaml, and not a built-in or loaded one (${workshopNames().join(', ') || 'none'})`);
  }
  return parseWorkshop(dir);
}

const workshopsIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'workshop.yaml'))).sort() : []);

export function builtinWorkshopNames(): string[] {
  return workshopsIn(WORKSHOPS_DIR);
}

/** The built-in workshops, then the ones a loaded bundle added. */
export function workshopNames(): string[] {
  const builtin = builtinWorkshopNames();
  return [...builtin, ...workshopsIn(loadedWorkshopsDir()).filter((n) => !builtin.includes(n))];
}

export function findStep(w: Workshop, id: string): Step {
  const step = allSteps(w).find((s) => s.id === id);
  if (!step) throw new Error(`${w.name} has no step ${id} (steps: ${allSteps(w).map((s) => s.id).join(', ')})`);
  return step;
}

/** `sidecar-lab` and `istioctl` on PATH and KUBECONFIG set: a step's commands run as the learner's terminal would run them. */
export function workshopEnv(lab: string): NodeJS.ProcessEnv {
  return { ...process.env, ...clusterEnv(lab) };
}

/** Runs shell text with bash (`set -e`: a step's solution fails on its first failing command). */
export function runShell(script: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

/**
 * Puts the lab back to the step's starting state: the scenario's configuration with the step's
 * files applied over it, then the step's `run` commands; then takes the step's baseline.
 */
export async function resetStep(docker: Docker, lab: string, step: Step, cwd: string, log: (m: string) => void): Promise<StepBaseline> {
  const applied = readLabRecord(lab)?.run.applied ?? [];
  if (JSON.stringify(applied) !== JSON.stringify(step.state.apply)) await setAppliedFiles(lab, step.state.apply, log);
  if (step.state.run) {
    const r = await runShell(step.state.run, workshopEnv(lab), cwd);
    if (r.code !== 0) throw new Error(`step ${step.id}: its state commands failed (exit ${r.code}):\n${r.output.trim()}`);
  }
  return takeBaseline(docker, lab);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Checks a step; while it fails, looks again for up to `waitMs` (a flow is settled a moment after
 * its connection closes, once the trace and the proxy's report are joined).
 */
export async function checkStep(step: Step, baseline: StepBaseline, ctx: EvidenceContext, waitMs: number): Promise<{ pass: boolean; results: CheckResult[] }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = await evaluateStep(step.checks, baseline, ctx);
    if (r.pass || Date.now() >= deadline) return r;
    await sleep(500);
  }
}

export interface VerifyLine {
  step: Step;
  ok: boolean;
  /** What went wrong, or what the passing check said. */
  detail: string;
}

export interface VerifyOptions {
  docker: Docker;
  /** Starts the workshop's scenario and its Kubernetes API; returns the lab's name. */
  startLab: (scenario: string) => Promise<string>;
  /** Flows of the lab while verify runs. */
  capture: (lab: string) => Promise<{ flows: EvidenceContext['flows']; stop: () => Promise<void> }>;
  onLine: (line: VerifyLine) => void;
  log: (m: string) => void;
  /** Verify only these steps (ids), each from its own starting state; all of them when absent. */
  only?: string[];
}

/** On a fresh lab, each step in order: reset, check fails, solution, check passes. */
export async function verifyWorkshop(w: Workshop, opts: VerifyOptions): Promise<VerifyLine[]> {
  // Unknown step ids are refused before a lab is started.
  const steps = opts.only ? opts.only.map((id) => findStep(w, id)) : allSteps(w);
  const up = await labsOnEngine(opts.docker);
  if (up.length > 0) throw new Error(`verify starts a fresh lab, and ${up.join(', ')} is up: \`sidecar-lab down\` first`);
  const lab = await opts.startLab(w.scenario);
  const workDir = mkdtempSync(join(tmpdir(), `workshop-${w.name}-`));
  const lines: VerifyLine[] = [];
  let capture: Awaited<ReturnType<VerifyOptions['capture']>> | undefined;
  try {
    capture = await opts.capture(lab);
    const ctx: EvidenceContext = { docker: opts.docker, lab, workDir, flows: capture.flows };
    for (const step of steps) {
      const line = await verifyStep(step, ctx, opts.log);
      lines.push(line);
      opts.onLine(line);
    }
  } finally {
    await capture?.stop().catch((err: unknown) => opts.log(`capture: ${String(err)}`));
    await labDown(opts.docker, lab, () => {});
    rmSync(workDir, { recursive: true, force: true });
  }
  return lines;
}

async function verifyStep(step: Step, ctx: EvidenceContext, log: (m: string) => void): Promise<VerifyLine> {
  const messages = (r: { results: CheckResult[] }): string => r.results.map((x) => x.message).join(' / ');
  try {
    const baseline = await resetStep(ctx.docker, ctx.lab, step, ctx.workDir, log);
    const before = await evaluateStep(step.checks, baseline, ctx);
    if (before.pass) return { step, ok: false, detail: `its check passes before the solution ran: ${messages(before)}` };
    const solved = await runShell(step.solution, workshopEnv(ctx.lab), ctx.workDir);
    if (solved.code !== 0) return { step, ok: false, detail: `its solution failed (exit ${solved.code}):\n${solved.output.trim()}` };
    const after = await checkStep(step, baseline, ctx, 10_000);
    return after.pass ? { step, ok: true, detail: messages(after) } : { step, ok: false, detail: `its check fails after the solution: ${messages(after)}` };
  } catch (err) {
    return { step, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

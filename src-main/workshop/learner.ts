// One participant's moves through a workshop, for every front end (command line, window): begin or reset a step, check it, move on.
import type Docker from 'dockerode';
import { readLabRecord } from '../lab/runtime/lab';
import { takeBaseline, type EvidenceContext } from './evidence';
import type { CheckResult } from './evaluate';
import { allSteps } from './parse';
import { readProgress, writeProgress, type WorkshopProgress } from './progress';
import { checkStep, findStep, resetStep } from './session';
import type { Step, Workshop } from './types';

export interface LearnerCheck {
  step: Step;
  /** 'begun': the step had no starting point yet; it has one now, and the learner runs its commands. */
  outcome: 'passed' | 'failed' | 'begun';
  results: CheckResult[];
  /** The step the participant is on afterwards. */
  current: Step;
}

export function progressOf(w: Workshop): WorkshopProgress {
  return readProgress(w.name, allSteps(w)[0].id);
}

/** Puts the lab back to the step's starting state and makes it the participant's current step. */
export async function beginStep(w: Workshop, stepId: string | undefined, docker: Docker, lab: string, cwd: string, log: (m: string) => void): Promise<Step> {
  const progress = progressOf(w);
  const step = findStep(w, stepId ?? progress.current);
  const baseline = await resetStep(docker, lab, step, cwd, log);
  progress.current = step.id;
  progress.steps[step.id] = { ...progress.steps[step.id], baseline };
  writeProgress(progress);
  return step;
}

/**
 * Judges the step on the evidence since it began; on a pass, the next step begins from where
 * this one left the lab (nothing is reset).
 */
export async function checkForLearner(w: Workshop, stepId: string | undefined, ctx: EvidenceContext, waitMs: number): Promise<LearnerCheck> {
  const steps = allSteps(w);
  const progress = progressOf(w);
  const step = findStep(w, stepId ?? progress.current);
  const baseline = progress.steps[step.id]?.baseline;
  if (!baseline) {
    // Never begun: it begins now, as the lab stands (its applied files kept).
    const fresh = await resetStep(ctx.docker, ctx.lab, { ...step, state: { apply: readLabRecord(ctx.lab)?.run.applied ?? [], run: null } }, ctx.workDir, () => {});
    progress.steps[step.id] = { baseline: fresh };
    progress.current = step.id;
    writeProgress(progress);
    return { step, outcome: 'begun', results: [], current: step };
  }
  const hasFlows = step.checks.some((c) => c.kind === 'flow' || c.kind === 'accessLog');
  const result = await checkStep(step, baseline, ctx, hasFlows ? waitMs : 0);
  const at = new Date().toISOString();
  progress.steps[step.id] = { ...progress.steps[step.id], last: { pass: result.pass, at, messages: result.results.map((r) => r.message) } };
  let current = findStep(w, progress.current);
  if (result.pass) {
    progress.steps[step.id].passedAt ??= at;
    const next = steps[steps.indexOf(step) + 1];
    if (next && progress.current === step.id) {
      progress.current = next.id;
      progress.steps[next.id] = { ...progress.steps[next.id], baseline: await takeBaseline(ctx.docker, ctx.lab) };
      current = next;
    }
  }
  writeProgress(progress);
  return { step, outcome: result.pass ? 'passed' : 'failed', results: result.results, current };
}

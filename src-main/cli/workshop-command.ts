// `sidecar-lab workshop list | start | show | check | reset | verify`: self-checking courses on the running lab.
import { resolve } from 'node:path';
import { connectEngine } from '../lab/docker/engine';
import { labsOnEngine, readLabRecord } from '../lab/runtime/lab';
import { resolveScenarioArg } from '../lab/scenario/builtin';
import { startLab } from '../lab/session';
import type { EvidenceContext } from '../workshop/evidence';
import { beginStep, checkForLearner, progressOf } from '../workshop/learner';
import { captureInProcess, ensureRecorder, readFlowLog, runRecorder } from '../workshop/flow-log';
import { allSteps } from '../workshop/parse';
import { readProgress } from '../workshop/progress';
import { findStep, resolveWorkshop, verifyWorkshop, workshopEnv, workshopNames } from '../workshop/session';
import { WorkshopError, type Step, type Workshop } from '../workshop/types';
import { ensureApiHost } from './api-command';
import { flagString, parseArgs, UsageError } from './args';
import { isOffline } from './images-command';
import { progressPrinter, table, type CliIO } from './output';

const USAGE = 'workshop: usage: sidecar-lab workshop list | env | start NAME | show NAME [STEP] [--solution] | check NAME [STEP] | reset NAME [STEP] | verify NAME [STEP…]';

function printStep(w: Workshop, step: Step, io: CliIO, solution: boolean): void {
  const chapter = w.chapters.find((c) => c.steps.includes(step))!;
  io.out(`\n${w.title} — ${chapter.number}. ${chapter.title}\nStep ${step.id}: ${step.title}\n`);
  io.out(step.body);
  if (step.hint) io.out(`\nHint: ${step.hint}`);
  if (solution) io.out(`\nSolution:\n${step.solution}`);
  io.out(`\nWhen done: sidecar-lab workshop check ${w.name} ${step.id}`);
}

/** The running lab, which must have been started from the workshop's scenario. */
function labFor(w: Workshop, labs: string[]): string {
  const want = resolveScenarioArg(w.scenario);
  const lab = labs.find((l) => {
    const scenario = readLabRecord(l)?.run.scenario;
    return scenario !== undefined && resolve(resolveScenarioArg(scenario)) === resolve(want);
  });
  if (!lab) {
    throw new UsageError(
      labs.length === 0
        ? `workshop: no lab is up: \`sidecar-lab workshop start ${w.name}\` starts one`
        : `workshop: ${w.name} runs on scenario ${w.scenario}, and the lab up (${labs.join(', ')}) is another: \`sidecar-lab down\`, then \`sidecar-lab workshop start ${w.name}\``,
    );
  }
  return lab;
}

function cliContext(docker: EvidenceContext['docker'], lab: string): EvidenceContext {
  return { docker, lab, workDir: process.cwd(), flows: async () => readFlowLog(lab) };
}

async function start(w: Workshop, io: CliIO, offline: boolean): Promise<number> {
  const docker = await connectEngine();
  let labs = await labsOnEngine(docker);
  if (labs.length === 0) {
    io.err(`workshop: starting scenario ${w.scenario}`);
    const lab = await startLab(w.scenario, { offline, progress: progressPrinter(io), log: (m) => io.err(`up: ${m}`) });
    await ensureApiHost(lab, (m) => io.err(`up: ${m}`));
    labs = [lab];
  }
  const lab = labFor(w, labs);
  await ensureRecorder(lab, (m) => io.err(`workshop: ${m}`));
  const steps = allSteps(w);
  const step = await beginStep(w, undefined, docker, lab, process.cwd(), (m) => io.err(`workshop: ${m}`));
  const progress = progressOf(w);
  const done = steps.filter((s) => progress.steps[s.id]?.passedAt).length;
  io.err(`workshop: ${w.title}: ${done} of ${steps.length} steps done; lab ${lab}`);
  printStep(w, step, io, false);
  return 0;
}

async function check(w: Workshop, stepArg: string | undefined, io: CliIO): Promise<number> {
  const docker = await connectEngine();
  const lab = labFor(w, await labsOnEngine(docker));
  await ensureRecorder(lab, (m) => io.err(`workshop: ${m} (requests made before it started are not seen)`));
  const r = await checkForLearner(w, stepArg, cliContext(docker, lab), 3000);
  if (r.outcome === 'begun') {
    io.out(`Step ${r.step.id} (${r.step.title}) begins now: run its commands, then check again.`);
    return 1;
  }
  for (const x of r.results) io.out(`${x.pass ? '✓' : '✗'} ${x.message}`);
  if (r.outcome === 'failed') {
    io.out(`Step ${r.step.id} is not done yet.${r.step.hint ? ` Hint: ${r.step.hint}` : ''}`);
    return 1;
  }
  io.out(`Step ${r.step.id} done.`);
  if (r.current !== r.step) printStep(w, r.current, io, false);
  else if (allSteps(w).at(-1) === r.step) io.out(`${w.title}: the last step is done.`);
  return 0;
}

async function reset(w: Workshop, stepArg: string | undefined, io: CliIO): Promise<number> {
  const docker = await connectEngine();
  const lab = labFor(w, await labsOnEngine(docker));
  const step = await beginStep(w, stepArg, docker, lab, process.cwd(), (m) => io.err(`workshop: ${m}`));
  io.err(`workshop: step ${step.id} is back at its start`);
  printStep(w, step, io, false);
  return 0;
}

async function verify(w: Workshop, only: string[], io: CliIO, offline: boolean): Promise<number> {
  const docker = await connectEngine();
  const lines = await verifyWorkshop(w, {
    docker,
    ...(only.length > 0 ? { only } : {}),
    startLab: async (scenario) => {
      const lab = await startLab(scenario, { offline, progress: progressPrinter(io), log: (m) => io.err(`up: ${m}`) });
      await ensureApiHost(lab, (m) => io.err(`up: ${m}`));
      return lab;
    },
    capture: (lab) => captureInProcess(docker, lab, (m) => io.err(`capture: ${m}`)),
    onLine: (l) => io.out(`${l.ok ? 'ok  ' : 'FAIL'} ${l.step.id} ${l.step.title}${l.ok ? '' : `: ${l.detail}`}`),
    log: (m) => io.err(`workshop: ${m}`),
  });
  const failed = lines.filter((l) => !l.ok).length;
  io.err(`workshop: verify ${w.name}: ${lines.length - failed} of ${lines.length} steps pass`);
  return failed === 0 ? 0 : 1;
}

function list(io: CliIO): number {
  const rows = workshopNames().map((name) => {
    const w = resolveWorkshop(name);
    const steps = allSteps(w);
    const p = readProgress(w.name, steps[0].id);
    const done = steps.filter((s) => p.steps[s.id]?.passedAt).length;
    return [name, w.title, `${w.chapters.length}`, `${done}/${steps.length}`];
  });
  io.out(table(['NAME', 'TITLE', 'CHAPTERS', 'DONE'], rows));
  return 0;
}

export async function workshopCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, [{ name: 'offline' }, { name: 'solution' }, { name: 'lab', takesValue: true }], 'workshop');
  const [sub, name, step, ...more] = args.positionals;
  const offline = isOffline(args.flags.has('offline'));
  if (more.length > 0 && sub !== 'verify') throw new UsageError(USAGE);
  try {
    switch (sub) {
      case 'list':
        return list(io);
      case 'record': {
        const lab = flagString(args, 'lab');
        if (!lab) throw new UsageError('workshop record --lab NAME (started by `workshop start`)');
        await runRecorder(await connectEngine(), lab, (m) => io.err(`${new Date().toISOString()} ${m}`));
        return 0;
      }
      case 'env': {
        // For the learner's shell: `eval $(sidecar-lab workshop env)`.
        const labs = await labsOnEngine(await connectEngine());
        const lab = flagString(args, 'lab') ?? (labs.length === 1 ? labs[0] : undefined);
        if (!lab) throw new UsageError(labs.length === 0 ? 'workshop env: no lab is up' : `workshop env: several labs are up (${labs.join(', ')}): say which with --lab NAME`);
        const env = workshopEnv(lab);
        io.out(`export PATH='${env['PATH']}' KUBECONFIG='${env['KUBECONFIG']}'`);
        return 0;
      }
      case undefined:
        throw new UsageError(USAGE);
    }
    if (!name) throw new UsageError(USAGE);
    const w = resolveWorkshop(name);
    switch (sub) {
      case 'start':
        return await start(w, io, offline);
      case 'show': {
        const progress = readProgress(w.name, allSteps(w)[0].id);
        printStep(w, findStep(w, step ?? progress.current), io, args.flags.has('solution'));
        return 0;
      }
      case 'check':
        return await check(w, step, io);
      case 'reset':
        return await reset(w, step, io);
      case 'verify':
        return await verify(w, [step, ...more].filter((s): s is string => s !== undefined), io, offline);
      default:
        throw new UsageError(`workshop: unknown subcommand ${sub}\n${USAGE}`);
    }
  } catch (err) {
    if (!(err instanceof WorkshopError)) throw err;
    io.err(`workshop: ${err.message}`);
    return 1;
  }
}

// The window's workshop commands: the Guide lists steps, checks them on the flows this window captures, resets them.
import { connectEngine } from '../lab/docker/engine';
import type { CommandArgs, CommandResult } from '../contract/commands';
import type { Flow, WorkshopInfo } from '../contract/types';
import { beginStep, checkForLearner, progressOf } from '../workshop/learner';
import { builtinWorkshopNames, resolveWorkshop } from '../workshop/session';
import type { Workshop } from '../workshop/types';

export interface WorkshopServiceDeps {
  currentLab(): Promise<string | undefined>;
  /** The flows the window's capture holds (the newest state of each). */
  flows(): Flow[];
  log(message: string): void;
}

type Handlers = {
  [C in 'workshop.list' | 'workshop.get' | 'workshop.check' | 'workshop.reset']: (args: CommandArgs<C>) => Promise<CommandResult<C>>;
};

/** Only built-in workshops by name: the window takes no paths from the page. */
function builtin(name: string): Workshop {
  if (!builtinWorkshopNames().includes(name)) throw new Error(`workshop: no built-in workshop ${name} (${builtinWorkshopNames().join(', ')})`);
  return resolveWorkshop(name);
}

export function workshopInfo(w: Workshop): WorkshopInfo {
  const progress = progressOf(w);
  return {
    name: w.name,
    title: w.title,
    description: w.description,
    scenario: w.scenario,
    current: progress.current,
    chapters: w.chapters.map((c) => ({
      number: c.number,
      title: c.title,
      intro: c.intro,
      steps: c.steps.map((s) => {
        const p = progress.steps[s.id];
        return {
          id: s.id,
          title: s.title,
          body: s.body,
          commands: s.commands,
          hint: s.hint,
          solution: s.solution,
          passed: p?.passedAt !== undefined,
          ...(p?.last ? { last: p.last } : {}),
        };
      }),
    })),
  };
}

export function workshopHandlers(deps: WorkshopServiceDeps): Handlers {
  const requireLab = async (what: string): Promise<string> => {
    const lab = await deps.currentLab();
    if (!lab) throw new Error(`${what}: no lab is up; start the workshop's scenario first`);
    return lab;
  };
  return {
    async 'workshop.list'() {
      return builtinWorkshopNames().map((name) => ({ name, title: resolveWorkshop(name).title }));
    },
    async 'workshop.get'({ name }) {
      return workshopInfo(builtin(name));
    },
    async 'workshop.check'({ name, step }) {
      const w = builtin(name);
      const lab = await requireLab('workshop.check');
      const ctx = { docker: await connectEngine(), lab, workDir: process.cwd(), flows: async () => deps.flows() };
      const r = await checkForLearner(w, step, ctx, 3000);
      return { step: r.step.id, outcome: r.outcome, results: r.results, current: r.current.id };
    },
    async 'workshop.reset'({ name, step }) {
      const w = builtin(name);
      const lab = await requireLab('workshop.reset');
      await beginStep(w, step, await connectEngine(), lab, process.cwd(), deps.log);
      return workshopInfo(w);
    },
  };
}

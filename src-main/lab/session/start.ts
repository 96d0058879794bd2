// Starting a lab end to end, for every front end (command line, window, browser bridge).
import { connectEngine } from '../docker/engine';
import { ensureImages } from '../images/build';
import type { BuildProgress } from '../images/progress';
import { labUp } from '../runtime/lab';
import { prepareLab, toLabRun, type PreparedLab } from './prepare';

export interface StartOptions {
  offline: boolean;
  progress: BuildProgress;
  log: (message: string) => void;
  /** Called once the manifests are checked, before the engine is touched. */
  onPrepared?: (prepared: PreparedLab) => void;
}

/** Checks the scenario, builds what images are missing, starts the lab; returns its name. */
export async function startLab(scenarioArg: string, opts: StartOptions): Promise<string> {
  const prepared = await prepareLab(scenarioArg);
  opts.onPrepared?.(prepared);
  const docker = await connectEngine();
  const images = await ensureImages(docker, { offline: opts.offline, progress: opts.progress });
  const run = await toLabRun(docker, prepared, images, opts.log);
  await labUp(docker, run, images, opts.log);
  return run.name;
}

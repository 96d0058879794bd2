// A pod's init steps the kubelet's way: each runs once, a failed one stops the start and is kept, and the resumed start runs it again in place.
import type Docker from 'dockerode';
import { containerName } from '../plan/names';
import { inspectIfPresent } from './docker-ops';
import type { AppRun, InitStuck, PodRun } from './pod-run';

/** Whether a container has run to the end with exit code 0 (an init step done before a resumed start). */
const completed = (info: Docker.ContainerInspectInfo | undefined): boolean =>
  Boolean(info && !info.State.Running && info.State.ExitCode === 0 && !info.State.StartedAt.startsWith('0001-'));

/** How one init step ended; `again`: the container was there from a failed start and ran once more. */
export interface InitStepRun {
  exitCode: number;
  again: boolean;
}

/**
 * Runs the init step `dockerName` to its end: nothing when an earlier start completed it
 * (undefined), the same container again when an earlier start left it failed (the kubelet
 * restarts an init container in place; its log keeps every run), else one `create` makes.
 */
export async function runInitStep(docker: Docker, dockerName: string, create: () => Promise<Docker.Container>): Promise<InitStepRun | undefined> {
  const info = await inspectIfPresent(docker, dockerName);
  if (completed(info)) return undefined;
  const container = info ? docker.getContainer(dockerName) : await create();
  await container.start();
  const { StatusCode } = (await container.wait()) as { StatusCode: number };
  return { exitCode: StatusCode, again: Boolean(info) };
}

/** The app's init containers in order, each run once (again, when resumed at it); the first failure stops the start. */
export async function runKubeletInits(
  docker: Docker,
  pod: PodRun,
  create: (app: AppRun) => Promise<Docker.Container>,
  log: (message: string) => void,
): Promise<InitStuck | undefined> {
  for (const app of pod.inits) {
    const run = await runInitStep(docker, containerName(pod.lab, pod.namespace, pod.name, app.name), () => create(app));
    if (!run) continue;
    if (run.exitCode !== 0) {
      log(`${pod.namespace}/${pod.name}: init container ${app.name} exited ${run.exitCode}: Init:Error`);
      return { container: app.name, exitCode: run.exitCode };
    }
    log(`${pod.namespace}/${pod.name}: init container ${app.name} completed`);
  }
  return undefined;
}

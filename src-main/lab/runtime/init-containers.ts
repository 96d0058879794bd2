// A pod's init containers run one after another to completion, with kubelet's restart back-off on failure.
import type Docker from 'dockerode';
import type { AppRun, InitStuck } from './pod-run';

/** kubelet restarts a failed init container after 10 s, then 20 s, …; the lab gives up after these. */
export const INIT_BACKOFF_S = [10];

export interface InitDeps {
  sleep: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Creates and runs each init container in order; the next starts only after one exits 0. A
 * failed one is started again (same container, its log keeps every run, as `kubectl logs
 * --previous` would) after the back-off; when it still fails the pod stops there, its app
 * containers never start, and the caller is told which container and code.
 */
export async function runInitContainers(
  inits: AppRun[],
  create: (app: AppRun) => Promise<Docker.Container>,
  pod: string,
  log: (message: string) => void,
  deps: InitDeps = { sleep: realSleep },
): Promise<InitStuck | undefined> {
  for (const app of inits) {
    const container = await create(app);
    for (let attempt = 0; ; attempt++) {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      if (StatusCode === 0) {
        log(`${pod}: init container ${app.name} completed`);
        break;
      }
      const wait = INIT_BACKOFF_S[attempt];
      if (wait === undefined) {
        log(`${pod}: init container ${app.name} exited ${StatusCode} again: Init:CrashLoopBackOff; its containers are not started (logs -c ${app.name})`);
        return { container: app.name, exitCode: StatusCode };
      }
      log(`${pod}: init container ${app.name} exited ${StatusCode}: Init:Error; kubelet restarts it in ${wait} s`);
      await deps.sleep(wait * 1000);
    }
  }
  return undefined;
}

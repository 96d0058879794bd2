// The live lab both front ends use (Electron's main and `sidecar-lab serve`): the lab service with flow capture, pcap and teardown on quit.
import { LabApiHost } from '../lab/api/host';
import { connectEngine } from '../lab/docker/engine';
import { capturePackets } from '../lab/runtime/pcap';
import { createLabService, type LabServiceHandle, type LabServiceOptions } from './lab-service';
import { followLabCapture } from './live-capture';

/** How long an on-demand capture (File › Export pcap) listens. */
export const PCAP_SECONDS = 5;

/** How long quitting waits for the capture to stop before it goes on. */
const CAPTURE_STOP_MS = 5_000;

export interface LiveLabOptions extends Pick<LabServiceOptions, 'offline'> {
  /** Where the capture reports what it follows and what fails (stderr for serve, the console for Electron). */
  log: (message: string) => void;
}

export interface LiveLab {
  service: LabServiceHandle;
  /**
   * Stops the capture and closes the service's streams; removes the lab only when this service
   * started it (a lab started from a terminal or another window is left up). Resolves with the lab
   * it removed, if any; safe to call more than once.
   */
  quit(): Promise<string | undefined>;
}

export function createLiveLab(opts: LiveLabOptions): LiveLab {
  // The process that starts a lab serves its Kubernetes API, as `up` leaves a host process to.
  const apiHosts = new Map<string, LabApiHost>();
  let following: () => string | undefined = () => undefined;
  const service = createLabService({
    ...(opts.offline !== undefined ? { offline: opts.offline } : {}),
    onStarted: async (lab, log) => {
      const host = await LabApiHost.start({ docker: await connectEngine(), lab, log: opts.log });
      apiHosts.set(lab, host);
      log(`Kubernetes API at ${host.endpoint}: \`eval $(sidecar-lab kubeconfig)\` points kubectl at it`);
    },
    onStopping: async (lab) => {
      await apiHosts.get(lab)?.close();
      apiHosts.delete(lab);
    },
    pcap: async ({ tap }) => capturePackets(await connectEngine(), tap, PCAP_SECONDS),
    captureFollowing: (lab) => following() === lab,
  });
  // The engine may be missing at start-up: commands then say so themselves; the capture just logs it.
  const capture = connectEngine().then(
    (docker) => {
      const c = followLabCapture(docker, () => service.currentLab(), (flow) => service.ingest(flow), opts.log);
      following = c.following;
      return c;
    },
    (err: unknown) => {
      opts.log(`capture: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    },
  );
  let quitting: Promise<string | undefined> | undefined;
  const quit = async (): Promise<string | undefined> => {
    // Bounded: a quit must not hang on an exec stream the engine never ends (serve was seen waiting on one).
    const stopped = (await capture)?.stop().then(
      () => true,
      (err: unknown) => {
        opts.log(`capture: ${String(err)}`);
        return true;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([stopped ?? true, new Promise<false>((done) => (timer = setTimeout(() => done(false), CAPTURE_STOP_MS)))]);
    clearTimeout(timer);
    if (!inTime) opts.log(`capture: not stopped after ${CAPTURE_STOP_MS / 1000} s; going on without it`);
    const lab = service.startedLab();
    try {
      if (lab) await service['lab.stop']({});
    } finally {
      service.dispose?.();
    }
    return lab;
  };
  return {
    service,
    quit: () => (quitting ??= quit()),
  };
}

// Wakes the window's status when the lab's API says pods, Services or endpoints changed, so the Topology follows at once without polling fast.
import { LabApiClient } from '../lab/api/client';
import type { Dispose } from '../contract/api';

/** What the Topology shows from the API (see cluster-status.ts): every namespace's pods, Services and endpoints. */
const WATCHED = ['/api/v1/pods', '/api/v1/services', '/api/v1/endpoints'];

/** How long to wait before watching again after the API went away (a lab starting, stopping or resuming). */
const RETRY_MS = 2_000;

/** Changes come in bursts (a pod's start is several status writes): one read for each burst. */
const BURST_MS = 150;

/**
 * Calls `wake` on every change the lab's API reports, for whichever lab `currentLab` names at
 * the time; each watch starts again when it ends (the API host restarted, another lab came up).
 */
export function wakeOnClusterChanges(currentLab: () => Promise<string | undefined>, wake: () => void): Dispose {
  let stopped = false;
  const stops = new Set<() => void>();
  let burst: NodeJS.Timeout | undefined;
  const changed = (): void => {
    burst ??= setTimeout(() => {
      burst = undefined;
      if (!stopped) wake();
    }, BURST_MS);
  };
  const follow = (path: string): void => {
    void (async () => {
      if (stopped) return;
      let client: LabApiClient | undefined;
      try {
        const lab = await currentLab();
        client = lab ? LabApiClient.forLab(lab) : undefined;
      } catch {
        client = undefined; // its API is not served yet
      }
      if (stopped) return;
      if (!client) {
        setTimeout(() => follow(path), RETRY_MS).unref();
        return;
      }
      let seen = false;
      const stop = client.watch(
        path,
        () => {
          seen = true;
          changed();
        },
        () => {
          stops.delete(stop);
          // After a stream that delivered, watch again at once; after one that failed outright, wait.
          setTimeout(() => follow(path), seen ? 0 : RETRY_MS).unref();
        },
      );
      stops.add(stop);
    })();
  };
  for (const path of WATCHED) follow(path);
  return () => {
    stopped = true;
    clearTimeout(burst);
    for (const stop of stops) stop();
    stops.clear();
  };
}

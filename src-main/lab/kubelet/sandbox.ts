// The kubelet's end of a finished pod: once a pod is Succeeded or Failed its sandbox (pause, and the lab's tap beside it) is stopped, as the kubelet stops a terminal pod's sandbox; its containers stay, with their logs, and so does its status.
import type Docker from 'dockerode';
import { K } from '../api/kinds';
import { isRecord } from '../api/objects';
import type { ObjectStore } from '../api/store';
import { LABELS } from '../docker/engine';
import { labFilter } from '../runtime/docker-ops';
import { containerName } from '../plan/names';
import { podKey } from './pod-runtime';

const TERMINAL = new Set(['Succeeded', 'Failed']);

/** The pods the API says are finished whose pause still runs: their sandbox is stopped now. */
export async function stopFinishedSandboxes(
  docker: Docker,
  lab: string,
  store: ObjectStore,
  busy: (key: string) => boolean,
  log: (message: string) => void,
): Promise<void> {
  const finished = new Map(
    store
      .list(K.pods)
      .filter((p) => isRecord(p.status) && TERMINAL.has(String(p.status.phase)) && !p.metadata.deletionTimestamp)
      .map((p) => [podKey(p.metadata.namespace, p.metadata.name), p]),
  );
  if (finished.size === 0) return;
  const pauses = await docker.listContainers({ filters: { label: [...labFilter(lab).label, `${LABELS.role}=pause`], status: ['running'] } });
  for (const c of pauses) {
    const namespace = c.Labels[LABELS.namespace];
    const name = c.Labels[LABELS.pod];
    const key = podKey(namespace, name);
    const pod = finished.get(key);
    // Only the containers of this very pod object, and not while the kubelet starts or stops it.
    if (!pod || c.Labels[`${LABELS.pod}.uid`] !== pod.metadata.uid || busy(key)) continue;
    for (const part of ['tap', 'pause']) {
      await docker
        .getContainer(containerName(lab, namespace, name, part))
        .stop({ t: 1 })
        .catch((err: unknown) => {
          if (!/no such container|is not running|already in progress/i.test(String(err))) throw err;
        });
    }
    log(`kubelet: pod ${key} ${String((pod.status as Record<string, unknown>).phase)}: its sandbox is stopped (pause, tap); its containers and their logs are kept`);
  }
}

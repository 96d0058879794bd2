// What the kubelet reads and does on the engine: which pods have containers, and stopping a pod's containers as Kubernetes terminates a pod.
import type Docker from 'dockerode';
import { LABELS } from '../docker/engine';
import { labFilter } from '../runtime/docker-ops';
import { NATIVE_SIDECAR_LABEL } from '../runtime/pod';

/** A pod's containers on the engine, found by its pause container's labels. */
export interface RunningPod {
  namespace: string;
  name: string;
  /** The uid of the pod object the containers were started for (absent on labs started before it was recorded). */
  uid?: string;
  ip?: string;
}

export const podKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

/** Every pod of the lab that has a pause container, by `namespace/name`. */
export async function runningPods(docker: Docker, lab: string): Promise<Map<string, RunningPod>> {
  const out = new Map<string, RunningPod>();
  const listed = await docker.listContainers({ all: true, filters: { label: [...labFilter(lab).label, `${LABELS.role}=pause`] } });
  for (const c of listed) {
    const namespace = c.Labels[LABELS.namespace];
    const name = c.Labels[LABELS.pod];
    out.set(podKey(namespace, name), { namespace, name, uid: c.Labels[`${LABELS.pod}.uid`], ip: c.Labels[`${LABELS.pod}.ip`] });
  }
  return out;
}

async function podContainers(docker: Docker, lab: string, namespace: string, name: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    all: true,
    filters: { label: [...labFilter(lab).label, `${LABELS.namespace}=${namespace}`, `${LABELS.pod}=${name}`] },
  });
}

const gone = (err: unknown): boolean => /no such container|is already in progress|is not running/i.test(String(err));

/**
 * Terminates a pod as kubelet does: TERM to the app containers and a classic sidecar, KILL after
 * the grace period; a native sidecar (restartable init container) gets TERM only once the app
 * containers have exited, within what is left of the grace period. Then the pod's sandbox
 * (pause, tap) goes and every container is removed.
 */
export async function terminatePod(docker: Docker, lab: string, namespace: string, name: string, graceSeconds: number): Promise<void> {
  const containers = await podContainers(docker, lab, namespace, name);
  const role = (c: Docker.ContainerInfo): string => c.Labels[LABELS.role] ?? '';
  const running = containers.filter((c) => ['app', 'istio-proxy'].includes(role(c)) && c.State === 'running');
  const native = (c: Docker.ContainerInfo): boolean => c.Labels[NATIVE_SIDECAR_LABEL] === 'true';
  const deadline = Date.now() + Math.max(0, graceSeconds) * 1000;
  const stop = (list: Docker.ContainerInfo[]): Promise<unknown> =>
    Promise.all(
      list.map((c) =>
        docker
          .getContainer(c.Id)
          // Rounded up: the engine takes whole seconds, and a grace period cut short by the
          // milliseconds spent listing would kill an app a second before Kubernetes would.
          .stop({ t: Math.max(0, Math.ceil((deadline - Date.now()) / 1000)) })
          .catch((err: unknown) => {
            if (!gone(err)) throw err;
          }),
      ),
    );
  await stop(running.filter((c) => !native(c)));
  await stop(running.filter(native));
  await removePodContainers(docker, containers);
}

/** Removes a pod's containers at once (a pod deleted with `--grace-period=0 --force`, or left over). */
export async function removePodContainers(docker: Docker, containers: Docker.ContainerInfo[]): Promise<void> {
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err: unknown) => {
          if (!gone(err)) throw err;
        }),
    ),
  );
}

export async function removePod(docker: Docker, lab: string, namespace: string, name: string): Promise<void> {
  await removePodContainers(docker, await podContainers(docker, lab, namespace, name));
}

// The kubelet's view of each running app container's definition (kuberuntime's container hash): a pod update that changes a container's image kills the container and starts it again from the new image.
import type Docker from 'dockerode';
import { isRecord, kubeTime, type KubeObject } from '../api/objects';
import { podEvent, recordEvent } from '../api/pod-events';
import type { ObjectStore } from '../api/store';
import { containerName } from '../plan/names';
import type { PlannedPod } from '../plan/types';

/** The spec image of each app container, by name. */
type Definitions = Record<string, string>;

/**
 * What each pod's app containers were started from, by pod uid. The kubelet labels a container
 * with its spec's hash; the lab keeps the part a pod update can change (the image), as the pod
 * object said when the containers were started or adopted.
 */
export class ContainerDefinitions {
  private readonly byUid = new Map<string, Definitions>();

  /** The app containers of a pod just started from `planned`. */
  started(uid: string, planned: PlannedPod): void {
    this.byUid.set(uid, Object.fromEntries(planned.containers.filter((c) => c.role === 'app').map((c) => [c.name, c.spec.image])));
  }

  /**
   * The app containers whose image in `planned` (the pod object now) differs from what they run.
   * A pod met for the first time (adopted from `up` or a previous host) runs what its object says.
   */
  changed(uid: string, planned: PlannedPod): string[] {
    const known = this.byUid.get(uid);
    if (!known) {
      this.started(uid, planned);
      return [];
    }
    return planned.containers.filter((c) => c.role === 'app' && known[c.name] !== undefined && known[c.name] !== c.spec.image).map((c) => c.name);
  }

  /** Pods no longer in the store are forgotten. */
  keepOnly(uids: Set<string>): void {
    for (const uid of this.byUid.keys()) if (!uids.has(uid)) this.byUid.delete(uid);
  }
}

export interface KilledContainer {
  name: string;
  /** How the run ended (`lastState.terminated`), undefined when there was no container to kill. */
  terminated?: Record<string, unknown>;
}

const absent = (err: unknown): boolean => /no such container/i.test(String(err));

/**
 * kuberuntime's killContainer for a changed definition: the Killing event with the reason, TERM
 * and, after the pod's grace period, KILL; then the container goes, so the pod's start creates it
 * again from the new image.
 */
export async function killChanged(
  opts: { docker: Docker; lab: string; store: ObjectStore; node: string },
  pod: KubeObject,
  names: string[],
): Promise<KilledContainer[]> {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const grace = typeof spec.terminationGracePeriodSeconds === 'number' ? Math.max(0, spec.terminationGracePeriodSeconds) : 30;
  const ns = pod.metadata.namespace ?? 'default';
  return Promise.all(
    names.map(async (name): Promise<KilledContainer> => {
      const container = opts.docker.getContainer(containerName(opts.lab, ns, pod.metadata.name, name));
      const info = await container.inspect().catch((err: unknown) => {
        if (absent(err)) return undefined;
        throw err;
      });
      // A container never started (its pod held at an init container) is simply started later from the new image.
      if (!info) return { name };
      recordEvent(opts.store, podEvent(pod, opts.node, { reason: 'Killing', fieldPath: `spec.containers{${name}}`, message: `Container ${name} definition changed, will be restarted` }));
      if (info.State.Running) {
        await container.stop({ t: grace }).catch((err: unknown) => {
          if (!/is not running/i.test(String(err))) throw err;
        });
      }
      const ended = await container.inspect();
      await container.remove({ force: true, v: true });
      const exitCode = ended.State.ExitCode;
      return {
        name,
        terminated: {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt: kubeTime(new Date(ended.State.StartedAt)),
          finishedAt: kubeTime(new Date(ended.State.FinishedAt)),
          containerID: `docker://${ended.Id}`,
        },
      };
    }),
  );
}

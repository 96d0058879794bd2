// The lab's own events for a pod, in the lab's name (Istio's webhook and istio-init write none): why the sidecar was injected, and how many rules istio-init applied.
import type Docker from 'dockerode';
import { decideInjection } from '../scenario';
import { SIDECAR_STATUS } from '../scenario/annotations';
import { demuxBuffer } from '../runtime/docker-ops';
import { K } from './kinds';
import { isRecord, type KubeObject } from './objects';
import { podEvent } from './pod-events';
import type { ObjectStore } from './store';

/** The events' source: not a Kubernetes or Istio component, so no one mistakes them for a cluster's. */
export const LAB_COMPONENT = 'sidecar-lab';

type Status = Record<string, unknown> | undefined;

const initStatus = (status: Status, name: string): Record<string, unknown> | undefined =>
  (Array.isArray(status?.initContainerStatuses) ? status.initContainerStatuses : []).find((s): s is Record<string, unknown> => isRecord(s) && s.name === name);

/** Why Istio's webhook selected the pod, from the namespace's and the pod's labels as they are now. */
function injectedMessage(store: ObjectStore, pod: KubeObject): string {
  const nsName = pod.metadata.namespace ?? 'default';
  const ns = store.get(K.namespaces, undefined, nsName);
  const d = decideInjection(
    { name: nsName, labels: ns?.metadata.labels ?? {}, annotations: ns?.metadata.annotations ?? {}, declared: true },
    pod.metadata.labels ?? {},
    pod.metadata.annotations ?? {},
    { alreadyInjected: false, hostNetwork: false },
  );
  const revision = (() => {
    try {
      const s = JSON.parse(pod.metadata.annotations?.[SIDECAR_STATUS] ?? '{}') as { revision?: string };
      return s.revision ? `, revision ${s.revision}` : '';
    } catch {
      return '';
    }
  })();
  if (!d.inject) return `Sidecar istio-proxy present: the pod came injected (istioctl kube-inject or a copy of an injected pod)${revision}`;
  return `Sidecar injected by Istio's webhook (istio-init, istio-proxy): ${d.reason}${revision}`;
}

/** `-A` lines of the final iptables-save state istio-iptables prints when it is done. */
export function countAppliedRules(stdout: string): number {
  return stdout.split('\n').filter((l) => l.startsWith('-A ')).length;
}

/** Events for what the lab did, from the change between the pod's old and new status. */
export async function labPodEvents(docker: Docker, store: ObjectStore, pod: KubeObject, oldStatus: Status, newStatus: Status, node: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  const injected = pod.metadata.annotations?.[SIDECAR_STATUS] !== undefined;
  if (injected && !Array.isArray(oldStatus?.conditions)) {
    out.push(podEvent(pod, node, { reason: 'Injected', component: LAB_COMPONENT, message: injectedMessage(store, pod) }));
  }
  const init = initStatus(newStatus, 'istio-init');
  const before = initStatus(oldStatus, 'istio-init');
  const done = isRecord(init?.state) && isRecord(init.state.terminated) && init.state.terminated.exitCode === 0;
  const seen = isRecord(before?.state) && isRecord(before.state.terminated) && before.containerID === init?.containerID;
  if (init && done && !seen && typeof init.containerID === 'string') {
    const logs = (await docker
      .getContainer(init.containerID.replace(/^docker:\/\//, ''))
      .logs({ stdout: true, stderr: false, follow: false })
      .catch(() => undefined)) as unknown as Buffer | undefined;
    const rules = logs ? countAppliedRules(demuxBuffer(logs)) : 0;
    out.push(
      podEvent(pod, node, {
        reason: 'RulesApplied',
        component: LAB_COMPONENT,
        fieldPath: 'spec.initContainers{istio-init}',
        message: `istio-init applied ${rules} iptables rules (istio-iptables' final iptables-save state)`,
      }),
    );
  }
  return out;
}

// `up` returns once the lab's running pods are Ready: their probes (istio-proxy's 15021 among them) decide it now, and a request before that meets "no healthy upstream".
import { LabApiClient } from '../lab/api/client';
import { isRecord, type KubeObject } from '../lab/api/objects';

/** How long `up` waits for readiness before it says which pods are not Ready and returns anyway. */
export const READY_WAIT_MS = 30_000;

/**
 * Pods whose containers all run but that are not Ready yet: the ones a probe still holds back.
 * Pods still starting, in their init containers, crashing or finished are not waited for: the
 * scenario may mean them so (a customer's broken init container), and `status` shows them.
 */
export function awaitingReadiness(pods: KubeObject[]): string[] {
  return pods
    .filter((pod) => {
      const status = isRecord(pod.status) ? pod.status : {};
      if (pod.metadata.deletionTimestamp || status.phase !== 'Running') return false;
      const containers = Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isRecord) : [];
      if (containers.length === 0 || !containers.every((c) => isRecord(c.state) && isRecord(c.state.running))) return false;
      const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : [];
      return !conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    })
    .map((pod) => `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`);
}

/** Waits, up to `timeoutMs`, until no running pod of the lab is held back by its readiness; says what it waits for. */
export async function waitForReadyPods(lab: string, log: (message: string) => void, timeoutMs = READY_WAIT_MS): Promise<void> {
  const client = LabApiClient.forLab(lab);
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const list = await client.call<{ items?: KubeObject[] }>('GET', '/api/v1/pods');
    const waiting = awaitingReadiness(list.items ?? []);
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      log(`not Ready after ${timeoutMs / 1000} s (a readiness probe fails; \`kubectl describe pod\` shows why): ${waiting.join(', ')}`);
      return;
    }
    if (!said) log(`waiting for ${waiting.length} pod(s) to pass their readiness probes: ${waiting.join(', ')}`);
    said = true;
    await new Promise((r) => setTimeout(r, 250));
  }
}

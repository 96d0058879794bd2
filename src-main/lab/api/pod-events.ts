// The kubelet's and scheduler's events for a pod, from the change between two of its statuses: Scheduled, Pulled, Created, Started.
import { randomBytes } from 'node:crypto';
import { K } from './kinds';
import { isRecord, kubeTime, type KubeObject } from './objects';
import { TAP } from './seed-workloads';
import type { ObjectStore } from './store';

type Status = Record<string, unknown> | undefined;

function statuses(status: Status): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const field of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']) {
    const list = status?.[field];
    if (Array.isArray(list)) for (const s of list) if (isRecord(s)) out.set(String(s.name), { ...s, field });
  }
  return out;
}

const FIELD_PATH: Record<string, string> = {
  initContainerStatuses: 'spec.initContainers',
  containerStatuses: 'spec.containers',
  ephemeralContainerStatuses: 'spec.ephemeralContainers',
};

export function podEvent(pod: KubeObject, node: string, e: { reason: string; message: string; fieldPath?: string; component?: string; type?: string }): KubeObject {
  const now = kubeTime();
  const component = e.component ?? 'kubelet';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: pod.metadata.namespace ?? 'default' },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.metadata.name,
      namespace: pod.metadata.namespace ?? 'default',
      uid: pod.metadata.uid,
      ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}),
    },
    reason: e.reason,
    message: e.message,
    source: { component, ...(component === 'kubelet' ? { host: node } : {}) },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type: e.type ?? 'Normal',
    eventTime: null,
    reportingComponent: component,
    reportingInstance: component === 'kubelet' ? node : '',
  };
}

/**
 * Writes an event as client-go's recorder does: the same reason and message for the same object
 * again is one event whose count grows (`kubectl get events` shows `x3 over 40s`).
 */
export function recordEvent(store: ObjectStore, event: KubeObject): void {
  const involved = isRecord(event.involvedObject) ? event.involvedObject : {};
  const same = store.list(K.events, event.metadata.namespace).find((e) => {
    const o = isRecord(e.involvedObject) ? e.involvedObject : {};
    return o.uid === involved.uid && o.fieldPath === involved.fieldPath && e.reason === event.reason && e.message === event.message && e.type === event.type;
  });
  if (!same) {
    store.create(K.events, event);
    return;
  }
  store.update(K.events, { ...same, count: Number(same.count ?? 1) + 1, lastTimestamp: event.lastTimestamp });
}

/** Events for what changed between the pod's old and new status. */
export function podStatusEvents(pod: KubeObject, oldStatus: Status, newStatus: Status, node: string): KubeObject[] {
  const out: KubeObject[] = [];
  if (!Array.isArray(oldStatus?.conditions)) {
    out.push(podEvent(pod, node, { reason: 'Scheduled', component: 'default-scheduler', message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}` }));
  }
  const before = statuses(oldStatus);
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const imageOf = (field: string, name: string): string => {
    const list = spec[FIELD_PATH[field].split('.')[1]];
    const c = Array.isArray(list) ? list.find((x) => isRecord(x) && x.name === name) : undefined;
    return isRecord(c) && typeof c.image === 'string' ? c.image : '';
  };
  for (const [name, s] of statuses(newStatus)) {
    const old = before.get(name);
    const field = String(s.field);
    const fieldPath = `${FIELD_PATH[field]}{${name}}`;
    const startedNow = isRecord(s.state) && ('running' in s.state || 'terminated' in s.state) && s.containerID && s.containerID !== old?.containerID;
    const restarted = Number(s.restartCount ?? 0) > Number(old?.restartCount ?? 0);
    if (startedNow || restarted) {
      // A debug container's image may be stood in for: its starter says which (kubelet/ephemeral-containers); the lab's tap starts with the pod.
      const starterPulls = field === 'ephemeralContainerStatuses' && !(name === TAP.name && imageOf(field, name) === TAP.image);
      if (!starterPulls) out.push(podEvent(pod, node, { reason: 'Pulled', fieldPath, message: `Container image "${imageOf(field, name)}" already present on machine` }));
      out.push(podEvent(pod, node, { reason: 'Created', fieldPath, message: `Created container: ${name}` }));
      out.push(podEvent(pod, node, { reason: 'Started', fieldPath, message: `Started container ${name}` }));
    }
  }
  return out;
}

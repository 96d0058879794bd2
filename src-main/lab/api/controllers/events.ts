// Events the controllers record about the objects they act on (record.EventRecorder), as `kubectl describe` shows them.
import { randomBytes } from 'node:crypto';
import { K } from '../kinds';
import { kubeTime, type KubeObject } from '../objects';
import type { ObjectStore } from '../store';

/** An event from `component` (deployment-controller, replicaset-controller) on `obj`. */
export function recordEvent(store: ObjectStore, obj: KubeObject, component: string, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
  const now = kubeTime();
  const namespace = obj.metadata.namespace ?? 'default';
  store.create(K.events, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${obj.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name,
      namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
    },
    reason,
    message,
    source: { component },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: component,
    reportingInstance: '',
  });
}

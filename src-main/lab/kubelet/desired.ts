// The lab the API's objects describe: the stored objects as one scenario, planned with the addresses running pods already have.
import { stringify } from 'yaml';
import { K } from '../api/kinds';
import { isRecord, type KubeObject } from '../api/objects';
import type { ObjectStore } from '../api/store';
import { parseScenarioText } from '../scenario';
import type { Scenario } from '../scenario/types';
import { prepareScenario, type PreparedLab } from '../session/prepare';

/** ConfigMaps Istio reads: the mesh config and the injector's. */
const ISTIO_CONFIGMAPS = ['istio', 'istio-sidecar-injector'];

/** What the scenario reader needs of an object: no server-set metadata, no status. */
function asWritten(obj: KubeObject): Record<string, unknown> {
  const { metadata, ...rest } = obj;
  delete rest.status;
  const meta: Record<string, unknown> = { name: metadata.name };
  if (metadata.namespace) meta.namespace = metadata.namespace;
  if (metadata.labels && Object.keys(metadata.labels).length) meta.labels = metadata.labels;
  if (metadata.annotations && Object.keys(metadata.annotations).length) meta.annotations = metadata.annotations;
  return { ...rest, metadata: meta };
}

/** A pod as the kubelet runs it: the spec the API stored (injected or not), without the lab's debug container. */
function podAsWritten(pod: KubeObject): Record<string, unknown> {
  const written = asWritten(pod);
  const spec = isRecord(written.spec) ? { ...written.spec } : {};
  delete spec.ephemeralContainers;
  return { ...written, spec };
}

/** The objects that make up the running lab, in the order a scenario file would list them. */
export function desiredObjects(store: ObjectStore): Record<string, unknown>[] {
  const configMaps = store.list(K.configmaps, 'istio-system').filter((c) => ISTIO_CONFIGMAPS.includes(c.metadata.name));
  return [
    ...store.list(K.labs).map(asWritten),
    ...store.list(K.namespaces).map(asWritten),
    ...configMaps.map(asWritten),
    ...store.list(K.pods).map(podAsWritten),
    ...store.list(K.services).map(asWritten),
    ...store.list(K.serviceentries).map(asWritten),
    ...store.list(K.sidecars).map(asWritten),
  ];
}

/**
 * The stored objects read as a scenario. Injection was decided when each pod was created (the
 * webhook wrote istio-init and istio-proxy into the spec, or did not): reading the objects again
 * must not decide it anew, or labelling a namespace would inject running pods.
 */
export function scenarioFromStore(store: ObjectStore, lab: string, objects = desiredObjects(store)): Scenario {
  const text = objects
    .map((o) => stringify(o))
    .join('---\n');
  const scenario = parseScenarioText(text, `${lab}.yaml`);
  return {
    ...scenario,
    name: lab,
    workloads: scenario.workloads.map((w) => (w.injection.inject ? { ...w, injection: { inject: false, reason: 'decided when the pod was created' } } : w)),
  };
}

/** Addresses of the pods the store has given one (`status.podIP`), by `namespace/name`. */
export function assignedPodIPs(store: ObjectStore): Map<string, string> {
  const out = new Map<string, string>();
  for (const pod of store.list(K.pods)) {
    const ip = isRecord(pod.status) ? pod.status.podIP : undefined;
    if (typeof ip === 'string' && ip) out.set(`${pod.metadata.namespace}/${pod.metadata.name}`, ip);
  }
  return out;
}

/** The pods' uids, by `namespace/name`: the downward API gives a container its pod object's. */
export function storedPodUids(store: ObjectStore): Map<string, string> {
  return new Map(store.list(K.pods).flatMap((p) => (p.metadata.uid ? [[`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.uid] as const] : [])));
}

/** The lab as the objects describe it now, planned; pods with an address keep it. */
export function desiredLab(store: ObjectStore, lab: string, scenarioFile: string, objects = desiredObjects(store)): PreparedLab {
  const scenario = scenarioFromStore(store, lab, objects);
  return prepareScenario(scenario, scenarioFile, [], { podIPs: assignedPodIPs(store), podUids: storedPodUids(store) });
}

/**
 * The planned lab kept while what it is planned from (the objects as written, the pods'
 * addresses) is the same: a pass after a status change does not read and plan the lab again.
 * The plan returned is shared; callers must not change it.
 */
export class DesiredLabCache {
  private key = '';
  private lab: PreparedLab | undefined;
  /** How many times the lab was planned (for tests). */
  plans = 0;

  get(store: ObjectStore, lab: string, scenarioFile: string): PreparedLab {
    const objects = desiredObjects(store);
    const key = JSON.stringify([lab, scenarioFile, objects, [...assignedPodIPs(store)], [...storedPodUids(store)]]);
    if (this.lab && key === this.key) return this.lab;
    const planned = desiredLab(store, lab, scenarioFile, objects);
    this.plans++;
    this.key = key;
    this.lab = planned;
    return planned;
  }
}

// What happens to a Pod written through the API before it is stored, as on a cluster: kube-apiserver's defaults and the scheduler's node, Istio's injection webhook at creation, graceful deletion.
import { stringify } from 'yaml';
import {
  DEFAULT_NATIVE_SIDECAR_MODE,
  detectNativeSidecar,
  NATIVE_SIDECARS_ENV,
  parseNativeSidecarMode,
  renderInjectedPod,
  type KubePod,
  type MeshLike,
  type NativeSidecarMode,
} from '../injection';
import { decideInjection, parseScenarioText } from '../scenario';
import type { AdmissionPlugin } from './admission';
import { K } from './kinds';
import { clone, isRecord, kubeTime, type KubeObject } from './objects';
import { podDefaults, TAP } from './seed-workloads';
import type { ObjectStore } from './store';

const INJECTOR_CONFIGMAPS = ['istio', 'istio-sidecar-injector'];

/** The mesh config and the injector's values as the cluster's ConfigMaps say now. */
function injectorInputs(store: ObjectStore): { mesh: MeshLike; values: ReturnType<typeof parseScenarioText>['injector'] } {
  const maps = store.list(K.configmaps, 'istio-system').filter((c) => INJECTOR_CONFIGMAPS.includes(c.metadata.name));
  const text = maps.map((c) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: c.metadata.name, namespace: 'istio-system' }, data: c.data })).join('---\n');
  const scenario = parseScenarioText(text || '{}\n', 'istio-system ConfigMaps');
  return { mesh: scenario.mesh.raw as MeshLike, values: scenario.injector };
}

/** istiod's ENABLE_NATIVE_SIDECARS: the Lab's `spec.istiod.env`, else Istio's default; an unknown value is false, as istiod reads it. */
function nativeSidecarMode(store: ObjectStore): NativeSidecarMode {
  const spec = store.list(K.labs)[0]?.spec;
  const istiod = isRecord(spec) && isRecord(spec.istiod) ? spec.istiod : {};
  const value = isRecord(istiod.env) ? istiod.env[NATIVE_SIDECARS_ENV] : undefined;
  if (value === undefined || value === null) return DEFAULT_NATIVE_SIDECAR_MODE;
  return parseNativeSidecarMode(String(value)) ?? 'false';
}

/** istiod's webhook reads the nodes' kubelet versions for `auto`. */
function nativeSidecarDecision(store: ObjectStore, nodeName: string): boolean {
  const nodes = store.list(K.nodes).map((n) => {
    const status = isRecord(n.status) ? n.status : {};
    const info = isRecord(status.nodeInfo) ? status.nodeInfo : {};
    return { name: n.metadata.name, kubeletVersion: typeof info.kubeletVersion === 'string' ? info.kubeletVersion : '' };
  });
  return detectNativeSidecar(nativeSidecarMode(store), nodes, nodeName);
}

const containersOf = (spec: Record<string, unknown>, field: string): Record<string, unknown>[] =>
  Array.isArray(spec[field]) ? (spec[field] as unknown[]).filter(isRecord) : [];

/**
 * Pods as Kubernetes stores them, through the same admission order: defaults (kube-apiserver), the
 * node (the lab has one: the scheduler's choice is made here), then Istio's mutating webhook, which
 * decides injection once, at creation, from the namespace's and the pod's labels.
 */
export function podAdmission(store: ObjectStore): AdmissionPlugin {
  return (request) => {
    if (request.kind !== K.pods || request.subresource) return undefined;
    if (request.operation === 'CREATE') return admitNewPod(store, request.object!);
    if (request.operation === 'DELETE') return gracefulDelete(store, request.oldObject!, request.gracePeriodSeconds, request.dryRun);
    return undefined;
  };
}

function admitNewPod(store: ObjectStore, pod: KubeObject): KubeObject {
  const nodeName = store.list(K.nodes)[0]?.metadata.name ?? 'node';
  const spec = podDefaults(isRecord(pod.spec) ? clone(pod.spec) : {}, nodeName);
  let out: KubeObject = { ...pod, spec };
  const ns = store.get(K.namespaces, undefined, pod.metadata.namespace ?? 'default');
  const labels = out.metadata.labels ?? {};
  const annotations = out.metadata.annotations ?? {};
  const alreadyInjected = [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')].some((c) => c.name === 'istio-proxy');
  const decision = decideInjection(
    { name: ns?.metadata.name ?? 'default', labels: ns?.metadata.labels ?? {}, annotations: ns?.metadata.annotations ?? {}, declared: true },
    labels,
    annotations,
    { alreadyInjected, hostNetwork: spec.hostNetwork === true },
  );
  if (decision.inject) {
    const { mesh, values } = injectorInputs(store);
    const rendered = renderInjectedPod(out as unknown as KubePod, {
      mesh,
      ...(values ? { values: values.values } : {}),
      namespace: out.metadata.namespace ?? 'default',
      nativeSidecar: nativeSidecarDecision(store, nodeName),
    }) as unknown as KubeObject;
    out = { ...rendered, metadata: { ...out.metadata, labels: rendered.metadata.labels ?? {}, annotations: rendered.metadata.annotations ?? {} } };
  }
  // A pod with a sidecar gets the lab's tap: a debug container aimed at istio-proxy.
  const injected = decision.inject || alreadyInjected;
  if (injected && isRecord(out.spec)) out.spec = { ...out.spec, ephemeralContainers: [...containersOf(out.spec, 'ephemeralContainers').filter((c) => c.name !== TAP.name), TAP] };
  out.status = { phase: 'Pending', qosClass: 'BestEffort' };
  return out;
}

/**
 * kube-apiserver's graceful deletion: a pod on a node is marked (deletionTimestamp, grace period)
 * and stays until its kubelet has stopped it; grace 0 (`--grace-period=0 --force`) removes it now.
 */
function gracefulDelete(store: ObjectStore, pod: KubeObject, requested: number | undefined, dryRun: boolean): KubeObject | undefined {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  const fromSpec = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
  let grace = requested ?? fromSpec;
  // Pods that never ran, or have finished, have nothing to stop.
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
  if (grace <= 0) return undefined;
  const already = pod.metadata.deletionGracePeriodSeconds;
  // A second delete may shorten the grace period, never lengthen it.
  if (already !== undefined && already <= grace) return pod;
  const marked: KubeObject = {
    ...pod,
    metadata: { ...pod.metadata, deletionTimestamp: kubeTime(new Date(Date.now() + grace * 1000)), deletionGracePeriodSeconds: grace },
  };
  if (dryRun) return marked;
  return store.update(K.pods, marked);
}

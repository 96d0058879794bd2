// Pods whose rules istio-cni writes (Istio's CNI mode), and those rules, from the pod as the CNI plugin reads it.
import { cniAnnotations } from '../injection/cni-annotations';
import { cniEnabled, cniPodInfoOf, cniRedirect, type CniRedirect } from '../injection';
import type { LabPlan, PlannedPod } from '../plan/types';
import type { RawDocument } from '../scenario/types';
import { writtenPodSpec } from '../api/seed-context';

/** A pod that arrived injected so (istio-validation, no istio-init), or that the lab injects with the injector's values saying CNI. */
export function inCniMode(plan: LabPlan, pod: PlannedPod): boolean {
  return pod.spec.cni === true || (pod.inject && Boolean(pod.sidecar) && cniEnabled(plan.injectorValues));
}

/**
 * What istio-cni writes for a CNI-mode pod: for one that arrived injected, read from its written
 * spec (istio-proxy's env and securityContext) and annotations, as for a customer's pod in
 * `sidecar-lab diff`; for one the lab injects, from the annotations the injection template writes
 * in CNI mode and the istio-proxy it adds (proxyMetadata as its env, uid and gid 1337).
 */
export function cniRulesFor(plan: LabPlan, documents: RawDocument[], pod: PlannedPod): CniRedirect {
  if (pod.spec.cni === true) return cniRedirect(cniPodInfoOf({ annotations: pod.annotations, labels: pod.labels }, writtenPodSpec(documents, pod)));
  const mode = pod.sidecar?.interceptionMode ?? 'REDIRECT';
  const annotations = { ...pod.annotations, ...cniAnnotations(pod.annotations, plan.injectorValues, mode), 'sidecar.istio.io/status': '{}' };
  const proxy = { name: 'istio-proxy', args: ['proxy', 'sidecar'], env: Object.entries(pod.sidecar?.proxyMetadata ?? {}).map(([name, value]) => ({ name, value })) };
  return cniRedirect(cniPodInfoOf({ annotations, labels: pod.labels }, { initContainers: [{ name: 'istio-validation' }], containers: [...pod.spec.containers, proxy] }));
}

// Istio's sidecar injection decision: the injector webhooks' selectors, then the injector's own checks.
import { INJECT } from './annotations';
import type { InjectDecision, Labels, NamespaceSpec, PodSpec } from './types';

const REV = 'istio.io/rev';
const NS_INJECTION = 'istio-injection';
/** Istio's injector never injects here, whatever the labels say. */
const IGNORED_NAMESPACES = ['kube-system', 'kube-public'];

/**
 * Mirrors a default Istio install (one control plane; any `istio.io/rev` is taken to name it):
 *
 * 1. Which webhook sees the pod (MutatingWebhookConfiguration selectors, labels only):
 *    - namespace `istio-injection=enabled`: every pod except label `sidecar.istio.io/inject=false`;
 *    - namespace `istio-injection` set to anything else (`disabled`): no pod;
 *    - namespace `istio.io/rev=…`: every pod except label `sidecar.istio.io/inject=false`;
 *    - neither namespace label: only pods labelled `sidecar.istio.io/inject=true` or `istio.io/rev`.
 *    An *annotation* `sidecar.istio.io/inject: "true"` alone never selects a pod.
 * 2. What the injector then checks: already injected, hostNetwork and kube-system/kube-public
 *    pods are skipped; `sidecar.istio.io/inject` (the label wins over the annotation) `false` skips,
 *    otherwise the default policy (`enabled`) injects.
 */
export function decideInjection(
  ns: NamespaceSpec,
  labels: Labels,
  annotations: Record<string, string>,
  spec: Pick<PodSpec, 'alreadyInjected' | 'hostNetwork'>,
): InjectDecision {
  const no = (reason: string): InjectDecision => ({ inject: false, reason });
  if (spec.alreadyInjected) return no('already injected: the pod has an istio-proxy container');
  const podLabel = labels[INJECT];
  const nsInjection = ns.labels[NS_INJECTION];
  let selectedBy: string;
  if (nsInjection === 'enabled') {
    if (podLabel === 'false') return no(`the pod has label ${INJECT}=false`);
    selectedBy = `namespace ${ns.name} has ${NS_INJECTION}=enabled`;
  } else if (nsInjection !== undefined) {
    return no(`namespace ${ns.name} has ${NS_INJECTION}=${nsInjection}`);
  } else if (ns.labels[REV] !== undefined) {
    if (podLabel === 'false') return no(`the pod has label ${INJECT}=false`);
    selectedBy = `namespace ${ns.name} has ${REV}=${ns.labels[REV]}`;
  } else if (podLabel === 'true') {
    selectedBy = `the pod has label ${INJECT}=true`;
  } else if (labels[REV] !== undefined && podLabel !== 'false') {
    selectedBy = `the pod has label ${REV}=${labels[REV]}`;
  } else if (annotations[INJECT] === 'true') {
    return no(
      `namespace ${ns.name} is not labelled ${NS_INJECTION}=enabled, and the ${INJECT} annotation alone does not select a pod (the label does)`,
    );
  } else {
    return no(`namespace ${ns.name} is not labelled ${NS_INJECTION}=enabled`);
  }
  if (spec.hostNetwork) return no('Istio does not inject pods with hostNetwork');
  if (IGNORED_NAMESPACES.includes(ns.name)) return no(`Istio never injects pods in ${ns.name}`);
  const explicit = podLabel ?? annotations[INJECT];
  if (explicit === 'false') return no(`the pod has annotation ${INJECT}: "false"`);
  return { inject: true, reason: selectedBy };
}

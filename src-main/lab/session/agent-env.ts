// The part of istio-proxy's environment pilot-agent reads (app probers, scrape target), as the lab's injector writes it.
import { writtenPodSpec } from '../api/seed-context';
import { renderInjectedPod, type KubePod, type MeshLike } from '../injection';
import type { LabPlan, PlannedPod } from '../plan/types';
import type { RawDocument } from '../scenario/types';

/** The names the sidecar's agent reads (src-pod/sidecar/agent/agent-env.ts). */
const AGENT_ENV = ['ISTIO_KUBE_APP_PROBERS', 'ISTIO_PROMETHEUS_ANNOTATIONS', 'REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION'];

/**
 * istio-proxy's ISTIO_KUBE_APP_PROBERS and ISTIO_PROMETHEUS_ANNOTATIONS (and the legacy probe
 * destination switch): from the pod the webhook returns for the written spec, or from the
 * istio-proxy of a pod that came already injected. The lab's runtime does not give the
 * container this environment, so the proxy's config carries it.
 */
export function agentEnvFor(documents: RawDocument[], plan: LabPlan, pod: PlannedPod): Record<string, string> {
  let env: { name?: string; value?: unknown }[] = [];
  if (pod.alreadyInjected) {
    env = pod.spec.injectedProxy?.env ?? [];
  } else if (pod.inject && pod.sidecar) {
    const rendered = renderInjectedPod(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod.name, namespace: pod.namespace, labels: { ...pod.labels }, annotations: { ...pod.annotations } },
        spec: writtenPodSpec(documents, pod) as KubePod['spec'],
      },
      { mesh: plan.mesh.raw as MeshLike, values: plan.injectorValues, namespace: pod.namespace, nativeSidecar: plan.nativeSidecars },
    );
    const proxy = [...(rendered.spec?.containers ?? []), ...(rendered.spec?.initContainers ?? [])].find((c) => c.name === 'istio-proxy');
    env = proxy?.env ?? [];
  }
  const out: Record<string, string> = {};
  for (const e of env) if (e.name && AGENT_ENV.includes(e.name) && typeof e.value === 'string') out[e.name] = e.value;
  return out;
}

// The lab's proxy's config_dump for the pod a customer's config_dump was taken from, read through the lab's API as istioctl reads it.
import { readFileSync } from 'node:fs';
import { ConfigDump, SECTION } from '../../istioctl/configdump/dump';
import { obj, str } from '../../istioctl/configdump/json';
import { KubeClient } from '../../istioctl/kube/client';
import { envoyDo } from '../../istioctl/kube/envoy-admin';
import { kubeTargetFrom } from '../../istioctl/kube/kubeconfig';
import { apiPaths } from '../api/host-state';
import { LabApiClient } from '../api/client';
import type { KubeObject } from '../api/objects';
import { DumpError } from './read-dump';

export interface ProxyPod {
  namespace: string;
  name: string;
}

/** The pod a dump was taken from, by its bootstrap node metadata (what pilot-agent wrote there). */
export function dumpedPod(dump: ConfigDump): { namespace: string; name: string; workload: string } {
  const md = obj(obj(obj(dump.optionalSection(SECTION.bootstrap), 'bootstrap'), 'node'), 'metadata');
  return { namespace: str(md, 'NAMESPACE') || 'default', name: str(md, 'NAME'), workload: str(md, 'WORKLOAD_NAME') };
}

const hasProxy = (p: KubeObject): boolean => {
  const spec = (p.spec ?? {}) as { containers?: { name?: string }[]; initContainers?: { name?: string }[] };
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((c) => c.name === 'istio-proxy');
};

/**
 * The lab's pod to compare with: `--pod NAME` (a name or its Deployment's prefix), else the dumped
 * pod's own name, else a pod of its workload (a Deployment's pods have other names in the lab).
 */
export async function labProxyPod(lab: string, wanted: string | undefined, dumped: ReturnType<typeof dumpedPod>): Promise<ProxyPod> {
  const client = LabApiClient.forLab(lab);
  const pods = ((await client.call<{ items?: KubeObject[] }>('GET', '/api/v1/pods')).items ?? []).filter(hasProxy);
  const ns = (p: KubeObject) => p.metadata.namespace ?? 'default';
  const named = (n: string) => pods.filter((p) => p.metadata.name === n || `${ns(p)}/${p.metadata.name}` === n || p.metadata.name.startsWith(`${n}-`));
  const found = wanted
    ? named(wanted)
    : [dumped.name, dumped.workload].filter(Boolean).map((n) => named(n).filter((p) => ns(p) === dumped.namespace)).find((m) => m.length > 0) ?? [];
  const list = pods.map((p) => `${ns(p)}/${p.metadata.name}`).join(', ') || 'none';
  if (found.length === 0)
    throw new DumpError(`diff: lab ${lab} has no pod with a sidecar ${wanted ? `named ${wanted}` : `for ${dumped.namespace}/${dumped.name || '?'} of the config_dump`} (pods with a sidecar: ${list}); pick one with --pod`);
  return { namespace: ns(found[0]), name: found[0].metadata.name };
}

/** GET /config_dump (with `?include_eds` when the customer's has endpoints) on the pod's Envoy admin port, through the lab API's port-forward. */
export async function fetchLabConfigDump(lab: string, pod: ProxyPod, includeEds = false): Promise<ConfigDump> {
  const file = apiPaths(lab).kubeconfig;
  const client = new KubeClient(kubeTargetFrom(readFileSync(file, 'utf8'), file));
  try {
    return ConfigDump.parse(await envoyDo(client, pod, 'GET', includeEds ? 'config_dump?include_eds=true' : 'config_dump'));
  } catch (e) {
    throw new DumpError(`diff: the config_dump of ${pod.namespace}/${pod.name} in lab ${lab}: ${(e as Error).message}`);
  }
}

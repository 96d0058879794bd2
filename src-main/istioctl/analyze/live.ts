// `istioctl analyze` of the running cluster: the objects the analyzers read, listed through the Kubernetes API (kube origins have no file or line).
import type { KubeReader } from '../cluster';
import { isObject, type Json } from '../configdump/json';
import type { Resource } from './resources';

/** Cluster-wide lists of the kinds the lab's analyzers look at; a kind the server does not serve is simply absent. */
const SOURCES: { kind: string; path: string; clusterScoped?: boolean }[] = [
  { kind: 'Namespace', path: '/api/v1/namespaces', clusterScoped: true },
  { kind: 'Pod', path: '/api/v1/pods' },
  { kind: 'Service', path: '/api/v1/services' },
  { kind: 'Deployment', path: '/apis/apps/v1/deployments' },
  { kind: 'ServiceEntry', path: '/apis/networking.istio.io/v1/serviceentries' },
  { kind: 'VirtualService', path: '/apis/networking.istio.io/v1/virtualservices' },
  { kind: 'DestinationRule', path: '/apis/networking.istio.io/v1/destinationrules' },
  { kind: 'Sidecar', path: '/apis/networking.istio.io/v1/sidecars' },
];

/** Namespaces a running-cluster analysis leaves out (Istio's analyzers skip system namespaces). */
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

/** Istio's config kinds: read through a revision's crdclient, which skips those another revision's `istio.io/rev` label claims. */
const CONFIG_KINDS = new Set(['ServiceEntry', 'VirtualService', 'DestinationRule', 'Sidecar']);

/** config.LabelsInRevision: an object with no `istio.io/rev` label belongs to every revision; '' asks for all. */
function inRevision(labels: Record<string, string>, revision: string): boolean {
  const rev = labels['istio.io/rev'];
  return rev === undefined || revision === '' || rev === revision;
}

export async function liveResources(api: KubeReader, revision = ''): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const source of SOURCES) {
    const list = await api.getOptional<{ items?: Json[] }>(source.path);
    for (const item of list?.items ?? []) {
      const meta = isObject(item['metadata']) ? item['metadata'] : {};
      if (!source.clusterScoped && SYSTEM_NAMESPACES.has(String(meta['namespace'] ?? ''))) continue;
      if (CONFIG_KINDS.has(source.kind) && !inRevision(strings(meta['labels']), revision)) continue;
      out.push({
        kind: source.kind,
        name: String(meta['name'] ?? ''),
        namespace: source.clusterScoped ? '' : String(meta['namespace'] ?? ''),
        labels: strings(meta['labels']),
        annotations: strings(meta['annotations']),
        body: { ...item, kind: source.kind },
        file: '',
        line: 0,
        lineOf: () => undefined,
      });
    }
  }
  return out;
}

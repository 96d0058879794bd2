// The objects a freshly started interception lab serves, seeded from its manifests and plan (no engine).
import { beforeAll, describe, expect, it } from 'vitest';
import { K } from '../../../src-main/lab/api/kinds';
import { seedStore } from '../../../src-main/lab/api/seed';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { prepareLab } from '../../../src-main/lab/session/prepare';

let store: ObjectStore;

beforeAll(async () => {
  const prepared = await prepareLab('interception');
  store = new ObjectStore();
  seedStore(store, { prepared, documents: prepared.documents, caCert: 'CA PEM', kubernetesVersion: 'v1.33.1', now: new Date('2026-12-07T10:00:00Z') });
});

const names = (objs: { metadata: { name: string } }[]): string[] => objs.map((o) => o.metadata.name).sort();

describe('seeding the interception lab', () => {
  it('has the namespaces of a cluster with Istio, labels as written', () => {
    expect(names(store.list(K.namespaces))).toEqual(['default', 'external', 'istio-system', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect(store.get(K.namespaces, undefined, 'default')?.metadata.labels).toMatchObject({ 'istio-injection': 'enabled', 'kubernetes.io/metadata.name': 'default' });
  });

  it('serves injected pods as the webhook writes them, owned by their ReplicaSet', () => {
    const sleep = store.list(K.pods, 'default').find((p) => p.metadata.labels?.app === 'sleep')!;
    const spec = sleep.spec as { containers: { name: string }[]; initContainers: { name: string; args: string[] }[]; ephemeralContainers: { name: string }[] };
    expect(spec.containers.map((c) => c.name)).toEqual(['sleep', 'istio-proxy']);
    expect(spec.initContainers.map((c) => c.name)).toEqual(['istio-init']);
    expect(spec.initContainers[0].args.slice(0, 3)).toEqual(['istio-iptables', '-p', '15001']);
    expect(spec.ephemeralContainers.map((c) => c.name)).toEqual(['tap']);
    expect(JSON.parse(sleep.metadata.annotations!['sidecar.istio.io/status'])).toMatchObject({ containers: ['istio-proxy'], initContainers: ['istio-init'] });
    const [owner] = sleep.metadata.ownerReferences!;
    expect(owner.kind).toBe('ReplicaSet');
    const rs = store.get(K.replicasets, 'default', owner.name)!;
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'sleep' });
    expect(sleep.metadata.name.startsWith(`${rs.metadata.name}-`)).toBe(true);
  });

  it('leaves pods outside the mesh as written', () => {
    const external = store.list(K.pods, 'external')[0];
    expect((external.spec as { containers: { name: string }[] }).containers.map((c) => c.name)).toEqual(['httpbin']);
    expect(external.metadata.annotations?.['sidecar.istio.io/status']).toBeUndefined();
  });

  it('has Services with their ClusterIPs, and Endpoints naming the pods', () => {
    const kubernetes = store.get(K.services, 'default', 'kubernetes')!;
    expect(kubernetes.spec).toMatchObject({ clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, targetPort: 6443 }] });
    const endpoints = store.get(K.endpoints, 'default', 'kubernetes') as unknown as { subsets: { addresses: { ip: string; targetRef: { name: string } }[]; ports: { port: number }[] }[] };
    expect(endpoints.subsets[0].addresses[0]).toMatchObject({ ip: '10.244.0.5', targetRef: { name: 'kube-apiserver' } });
    expect(endpoints.subsets[0].ports[0].port).toBe(6443);
    expect(store.get(K.endpointslices, 'default', 'httpbin-lab')?.metadata.labels?.['kubernetes.io/service-name']).toBe('httpbin');
  });

  it("has the mesh ConfigMap, each namespace's CA bundle and default service account, and the node", () => {
    const mesh = store.get(K.configmaps, 'istio-system', 'istio')!;
    expect((mesh.data as Record<string, string>).mesh).toMatch(/outboundTrafficPolicy:\n\s+mode: (ALLOW_ANY|REGISTRY_ONLY)/);
    for (const ns of store.list(K.namespaces)) {
      expect(store.get(K.configmaps, ns.metadata.name, 'kube-root-ca.crt')?.data).toEqual({ 'ca.crt': 'CA PEM' });
      expect(store.get(K.serviceaccounts, ns.metadata.name, 'default')).toBeDefined();
    }
    const node = store.list(K.nodes)[0];
    expect(node.metadata.name).toBe('node');
    expect((node.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion).toBe('v1.33.1');
  });
});

// The cluster's objects as a freshly started lab has them: what the manifests declared, plus what a cluster adds (system namespaces, the node, kube-root-ca.crt, default service accounts, endpoints).
import { stringify as yamlStringify } from 'yaml';
import type { PlannedService } from '../plan/types';
import { clone, isRecord, kubeTime, type KubeObject } from './objects';
import { customResourceDefinitions, K, kindByApiVersion } from './kinds';
import type { ObjectStore } from './store';
import { seedWorkloads } from './seed-workloads';
import { declared, seedObject, type SeedContext } from './seed-context';

/** Namespaces every kubeadm cluster with Istio has, whatever the manifests say. */
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'istio-system'];

function meta(obj: KubeObject | undefined): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  if (!obj) return {};
  return {
    ...(obj.metadata.labels ? { labels: obj.metadata.labels } : {}),
    ...(obj.metadata.annotations ? { annotations: obj.metadata.annotations } : {}),
  };
}

function namespaceObjects(ctx: SeedContext): KubeObject[] {
  const names = new Set([...SYSTEM_NAMESPACES, ...ctx.prepared.plan.namespaces.map((n) => n.name)]);
  return [...names].map((name) => {
    const spec = ctx.prepared.plan.namespaces.find((n) => n.name === name);
    return {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        ...(spec && Object.keys(spec.labels).length ? { labels: { ...spec.labels } } : {}),
        ...(spec && Object.keys(spec.annotations).length ? { annotations: { ...spec.annotations } } : {}),
      },
    };
  });
}

function nodeObject(ctx: SeedContext): KubeObject {
  const { node } = ctx.prepared.plan;
  const ready = kubeTime(ctx.now);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: ready,
    lastTransitionTime: ready,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.hostname,
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': node.hostname,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/control-plane': '',
      },
    },
    spec: { podCIDR: ctx.prepared.plan.podCidr, podCIDRs: [ctx.prepared.plan.podCidr] },
    status: {
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: node.hostname },
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'docker://sidecar-lab',
        kernelVersion: '',
        kubeProxyVersion: ctx.kubernetesVersion,
        kubeletVersion: ctx.kubernetesVersion,
        operatingSystem: 'linux',
        osImage: 'Sidecar Lab node (Docker containers)',
      },
    },
  };
}

/** The mesh ConfigMap as istiod reads it: `data.mesh` in YAML. */
function meshConfigMap(ctx: SeedContext): KubeObject {
  const written = declared(ctx.documents, 'ConfigMap', 'istio-system', 'istio');
  if (written) return written;
  const mesh = ctx.prepared.plan.mesh.raw;
  const data = Object.keys(mesh).length
    ? mesh
    : {
        defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012' },
        outboundTrafficPolicy: { mode: ctx.prepared.plan.mesh.outboundTrafficPolicy.mode },
      };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio', namespace: 'istio-system', labels: { 'istio.io/rev': 'default', release: 'istio' } },
    data: { mesh: yamlStringify(data), meshNetworks: 'networks: {}\n' },
  };
}

function servicePorts(s: PlannedService): Record<string, unknown>[] {
  return s.ports.map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    protocol: p.protocol,
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    port: p.port,
    targetPort: p.targetPort,
  }));
}

function serviceObject(ctx: SeedContext, s: PlannedService): KubeObject {
  const written = declared(ctx.documents, 'Service', s.namespace, s.name);
  const spec = isRecord(written?.spec) ? clone(written.spec) : {};
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace, ...meta(written), ...(written ? {} : { labels: s.labels }) },
    spec: {
      ...spec,
      ...(s.selector ? { selector: s.selector } : {}),
      ports: servicePorts(s),
      type: s.type,
      ...(s.clusterIP ? { clusterIP: s.clusterIP, clusterIPs: [s.clusterIP] } : {}),
      ...(s.headless ? { clusterIP: 'None', clusterIPs: ['None'] } : {}),
      ...(s.externalName ? { externalName: s.externalName } : {}),
    },
    status: { loadBalancer: {} },
  };
}

/** Endpoints as the endpoints controller writes them: one subset per distinct port set. */
export function endpointsObject(s: PlannedService, podUid: (ns: string, name: string) => string | undefined): KubeObject {
  const byIp = new Map<string, { ip: string; nodeName?: string; targetRef: Record<string, unknown> }>();
  for (const e of s.ports.flatMap((p) => p.endpoints)) {
    byIp.set(e.ip, {
      ip: e.ip,
      targetRef: { kind: 'Pod', namespace: e.namespace, name: e.pod, uid: podUid(e.namespace, e.pod) ?? '' },
    });
  }
  const ports = s.ports
    .filter((p) => p.endpoints.length)
    .map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.endpoints[0].port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: s.name, namespace: s.namespace, ...(Object.keys(s.labels).length ? { labels: s.labels } : {}) },
    ...(byIp.size ? { subsets: [{ addresses: [...byIp.values()], ports }] } : {}),
  };
}

export function endpointSliceObject(s: PlannedService, podUid: (ns: string, name: string) => string | undefined): KubeObject {
  const seen = new Map<string, { namespace: string; pod: string }>();
  for (const e of s.ports.flatMap((p) => p.endpoints)) seen.set(e.ip, { namespace: e.namespace, pod: e.pod });
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${s.name}-lab`,
      namespace: s.namespace,
      labels: { ...s.labels, 'kubernetes.io/service-name': s.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: 'IPv4',
    endpoints: [...seen].map(([ip, p]) => ({
      addresses: [ip],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: p.namespace, name: p.pod, uid: podUid(p.namespace, p.pod) ?? '' },
    })),
    ports: s.ports.filter((p) => p.endpoints.length).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.endpoints[0].port, protocol: p.protocol })),
  };
}

/** Every object a freshly started lab has, in the store. */
export function seedStore(store: ObjectStore, ctx: SeedContext): void {
  const created = kubeTime(ctx.now);
  const namespaces = namespaceObjects(ctx);
  for (const ns of namespaces) seedObject(store, K.namespaces, ns, created);
  seedObject(store, K.nodes, nodeObject(ctx), created);
  for (const crd of customResourceDefinitions(created)) seedObject(store, K.customresourcedefinitions, crd, created);
  for (const ns of namespaces) {
    const name = ns.metadata.name;
    seedObject(store, K.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: name }, data: { 'ca.crt': ctx.caCert } }, created);
    seedObject(store, K.serviceaccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } }, created);
  }
  seedObject(store, K.configmaps, meshConfigMap(ctx), created);
  // Everything else the manifests declared that the API serves, as written.
  for (const d of ctx.documents) {
    const kind = kindByApiVersion(d.apiVersion, d.kind);
    if (!kind || [K.pods, K.deployments, K.services, K.namespaces].includes(kind) || kind.readOnlyReason) continue;
    const obj = clone(d.value) as unknown as KubeObject;
    if (!isRecord(obj.metadata) || typeof obj.metadata.name !== 'string') continue;
    if (kind.namespaced) obj.metadata.namespace ??= 'default';
    seedObject(store, kind, obj, created);
  }
  const podUids = seedWorkloads(store, ctx, created);
  const podUid = (ns: string, name: string) => podUids.get(`${ns}/${name}`);
  for (const s of ctx.prepared.plan.services) {
    seedObject(store, K.services, serviceObject(ctx, s), created);
    if (s.externalName) continue;
    seedObject(store, K.endpoints, endpointsObject(s, podUid), created);
    seedObject(store, K.endpointslices, endpointSliceObject(s, podUid), created);
  }
}

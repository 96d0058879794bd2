// Deployments, their ReplicaSets and the pods as a cluster shows them after `up`: the manifests' specs with Istio's injection applied, owner references and Kubernetes' defaults.
import type { PlannedPod } from '../plan/types';
import { podTemplateHash } from '../plan/names';
import { renderInjectedPod, type KubePod, type MeshLike } from '../injection';
import { clone, isRecord, newUid, type KubeObject } from './objects';
import { K } from './kinds';
import type { ObjectStore } from './store';
import { seedObject, writtenPodSpec, type SeedContext } from './seed-context';

function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** What kube-apiserver and the scheduler fill in that the lab's pods need for `get -o yaml`. */
export function podDefaults(spec: Record<string, unknown>, nodeName: string): Record<string, unknown> {
  // A volume with no source is an emptyDir, as kube-apiserver defaults it.
  const volumes = Array.isArray(spec.volumes)
    ? spec.volumes.map((v) => (isRecord(v) && Object.keys(v).length === 1 && typeof v.name === 'string' ? { ...v, emptyDir: {} } : v))
    : undefined;
  return {
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    terminationGracePeriodSeconds: 30,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    securityContext: {},
    serviceAccountName: 'default',
    ...spec,
    ...(volumes ? { volumes } : {}),
    serviceAccount: spec.serviceAccountName ?? 'default',
    nodeName,
  };
}

/** The lab's tap (root, NET_ADMIN, in the pod's network namespace) plays a debug container aimed at the proxy. */
export const TAP = {
  name: 'tap',
  image: 'sidecar-lab/tap',
  targetContainerName: 'istio-proxy',
  stdin: true,
  tty: true,
  securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] }, runAsUser: 0 },
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};

function podObject(ctx: SeedContext, pod: PlannedPod, owner?: KubeObject): KubeObject {
  const spec = writtenPodSpec(ctx.documents, pod);
  let podSpec = spec;
  let labels = { ...pod.labels };
  let annotations = { ...pod.annotations };
  const { plan } = ctx.prepared;
  if (pod.inject && pod.sidecar) {
    // What Istio's webhook wrote when the pod was created: its template, the mesh config and the injector's values.
    const rendered = renderInjectedPod(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: pod.namespace, labels, annotations }, spec: spec as KubePod['spec'] },
      {
        mesh: plan.mesh.raw as MeshLike,
        values: plan.injectorValues,
        namespace: pod.namespace,
        nativeSidecar: plan.nativeSidecars,
        ...(pod.workload ? { workload: { kind: 'Deployment', apiVersion: 'apps/v1', name: pod.workload.name } } : {}),
      },
    );
    podSpec = (rendered.spec ?? {}) as Record<string, unknown>;
    labels = { ...rendered.metadata?.labels };
    annotations = { ...rendered.metadata?.annotations };
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      uid: pod.uid,
      ...(pod.workload ? { generateName: pod.name.replace(/[^-]+$/, '') } : {}),
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.metadata.name, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    spec: { ...podDefaults(podSpec, plan.node.hostname), ...(pod.sidecar ? { ephemeralContainers: [TAP] } : {}) },
    status: {
      phase: 'Pending',
      hostIP: plan.node.ip,
      hostIPs: [{ ip: plan.node.ip }],
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      qosClass: 'BestEffort',
    },
  };
}

function replicaSetFor(ctx: SeedContext, dep: KubeObject, pods: PlannedPod[]): KubeObject {
  const ns = dep.metadata.namespace ?? 'default';
  const hash = podTemplateHash(ns, dep.metadata.name);
  const spec = rec(dep.spec);
  const template = clone(rec(spec.template));
  const templateMeta = rec(template.metadata);
  template.metadata = { ...templateMeta, labels: { ...rec(templateMeta.labels), 'pod-template-hash': hash } };
  const selector = rec(spec.selector);
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${dep.metadata.name}-${hash}`,
      namespace: ns,
      uid: newUid(),
      labels: { ...(rec(templateMeta.labels) as Record<string, string>), 'pod-template-hash': hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(replicas),
        'deployment.kubernetes.io/max-replicas': String(replicas + Math.max(1, Math.ceil(replicas / 4))),
        'deployment.kubernetes.io/revision': '1',
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name, uid: dep.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas,
      selector: { ...selector, matchLabels: { ...rec(selector.matchLabels), 'pod-template-hash': hash } },
      template,
    },
    status: { replicas: pods.length, fullyLabeledReplicas: pods.length, observedGeneration: 1 },
  };
}

/** Seeds Deployments, ReplicaSets and Pods; returns each pod's uid by `namespace/name`. */
export function seedWorkloads(store: ObjectStore, ctx: SeedContext, created: string): Map<string, string> {
  const uids = new Map<string, string>();
  const owners = new Map<string, KubeObject>();
  const { pods } = ctx.prepared.plan;
  for (const d of ctx.documents.filter((x) => x.kind === 'Deployment')) {
    const dep = clone(d.value) as unknown as KubeObject;
    if (!isRecord(dep.metadata) || typeof dep.metadata.name !== 'string') continue;
    dep.metadata.namespace ??= 'default';
    dep.metadata.annotations = { ...dep.metadata.annotations, 'deployment.kubernetes.io/revision': '1' };
    const stored = seedObject(store, K.deployments, dep, created);
    const mine = pods.filter((p) => p.workload?.name === dep.metadata.name && p.namespace === dep.metadata.namespace);
    const rs = seedObject(store, K.replicasets, replicaSetFor(ctx, stored, mine), created);
    owners.set(`${rs.metadata.namespace}/${dep.metadata.name}`, rs);
  }
  for (const pod of pods) {
    const owner = pod.workload ? owners.get(`${pod.namespace}/${pod.workload.name}`) : undefined;
    const stored = seedObject(store, K.pods, podObject(ctx, pod, owner), created);
    uids.set(`${pod.namespace}/${pod.name}`, stored.metadata.uid!);
  }
  return uids;
}

// apps/v1 Deployments and ReplicaSets, and discovery.k8s.io/v1 EndpointSlices, with kube-apiserver's Table columns.
import type { KubeObject } from '../objects';
import { formatLabelSelector } from '../selectors';
import { ageColumn, nameColumn, since, type TableColumn } from '../tables';
import { ALL_VERBS, READ_VERBS, type KindDescriptor } from './descriptor';
import { arr, containerCells, firstOf, num, rec, spec, status, str } from './print-helpers';

const col = (name: string, type: TableColumn['type'], description: string, priority = 0): TableColumn => ({
  name,
  type,
  description,
  ...(priority ? { priority } : {}),
});

const templateColumns = [
  col('Containers', 'string', 'Names of each container in the template.', 1),
  col('Images', 'string', 'Images referenced by each container in the template.', 1),
  col('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', 1),
];

function templateCells(obj: KubeObject): string[] {
  const [containers, images] = containerCells(rec(rec(spec(obj).template).spec));
  return [containers, images, formatLabelSelector(spec(obj).selector)];
}

/**
 * apps/v1 SetDefaults_Deployment: one replica, RollingUpdate with 25% surge and unavailability,
 * ten old ReplicaSets kept, a 600 s progress deadline. (The pod template's own defaults are the
 * pods' business, not defaulted here.)
 */
function deploymentDefaults(obj: KubeObject): void {
  const s = rec(obj.spec);
  const strategy: Record<string, unknown> = { type: 'RollingUpdate', ...rec(s.strategy) };
  if (strategy.type === 'RollingUpdate') strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...rec(strategy.rollingUpdate) };
  obj.spec = { replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, ...s, strategy };
}

export const deployments: KindDescriptor = {
  group: 'apps',
  resource: 'deployments',
  versions: ['v1'],
  kind: 'Deployment',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  verbs: ALL_VERBS,
  subresources: {
    status: { kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
    // Served in another group's kind, which discovery names as kube-apiserver does.
    scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  },
  printer: {
    columns: [
      nameColumn,
      col('Ready', 'string', 'Number of the pod with ready state'),
      col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      ageColumn,
      ...templateColumns,
    ],
    row: (obj, now) => [
      obj.metadata.name,
      `${num(status(obj).readyReplicas)}/${num(spec(obj).replicas, 1)}`,
      num(status(obj).updatedReplicas),
      num(status(obj).availableReplicas),
      since(obj.metadata.creationTimestamp, now),
      ...templateCells(obj),
    ],
  },
  specOf: (o) => o.spec,
  defaults: deploymentDefaults,
};

export const replicasets: KindDescriptor = {
  group: 'apps',
  resource: 'replicasets',
  versions: ['v1'],
  kind: 'ReplicaSet',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  verbs: ALL_VERBS,
  subresources: {
    status: { kind: 'ReplicaSet', verbs: ['get', 'patch', 'update'] },
    // Served in another group's kind, which discovery names as kube-apiserver does.
    scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  },
  printer: {
    columns: [
      nameColumn,
      col('Desired', 'integer', 'Replicas is the number of desired replicas.'),
      col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      col('Ready', 'integer', 'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.'),
      ageColumn,
      ...templateColumns,
    ],
    row: (obj, now) => [
      obj.metadata.name,
      num(spec(obj).replicas, 1),
      num(status(obj).replicas),
      num(status(obj).readyReplicas),
      since(obj.metadata.creationTimestamp, now),
      ...templateCells(obj),
    ],
  },
  specOf: (o) => o.spec,
  defaults(obj) {
    obj.spec = { replicas: 1, ...rec(obj.spec) };
  },
};

export const endpointslices: KindDescriptor = {
  group: 'discovery.k8s.io',
  resource: 'endpointslices',
  versions: ['v1'],
  kind: 'EndpointSlice',
  singular: 'endpointslice',
  namespaced: true,
  verbs: READ_VERBS,
  readOnlyReason: 'the lab computes it from Services and Pods, as the EndpointSlice controller does',
  printer: {
    columns: [
      nameColumn,
      col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
      col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
      col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
      ageColumn,
    ],
    row: (obj, now) => {
      const ports = arr(obj.ports).map((p) => (rec(p).port === undefined ? '<unset>' : String(num(rec(p).port))));
      const addresses = arr(obj.endpoints).flatMap((e) => arr(rec(e).addresses).map(String));
      return [obj.metadata.name, str(obj.addressType), firstOf(ports, 3, ports.length, '<unset>'), firstOf(addresses, 3, addresses.length, '<unset>'), since(obj.metadata.creationTimestamp, now)];
    },
  },
};

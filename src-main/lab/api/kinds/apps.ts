// apps/v1 Deployments and ReplicaSets, and discovery.k8s.io/v1 EndpointSlices, with kube-apiserver's Table columns.
import { isRecord, type KubeObject } from '../objects';
import { formatLabelSelector, labelSelectorMatcher } from '../selectors';
import { invalidValue, notSupported, required, type FieldProblem } from '../status';
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
 * ValidateDeploymentSpec / ValidateReplicaSetSpec: a non-empty selector that the template's labels
 * match (else its controller could never count its own pods), replicas ≥ 0, restartPolicy Always,
 * and on update the selector unchanged (immutable in apps/v1).
 */
function validateWorkload(obj: KubeObject, old?: KubeObject): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const s = spec(obj);
  const selector = s.selector;
  if (!isRecord(selector)) problems.push(required('spec.selector'));
  else if (Object.keys(rec(selector.matchLabels)).length + arr(selector.matchExpressions).length === 0) {
    problems.push(invalidValue('spec.selector', selector, 'empty selector is invalid for deployment'));
  } else {
    const labels = rec(rec(rec(s.template).metadata).labels) as Record<string, string>;
    if (!labelSelectorMatcher(selector)(labels)) problems.push(invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  if (s.replicas !== undefined && (typeof s.replicas !== 'number' || !Number.isInteger(s.replicas) || s.replicas < 0)) {
    problems.push(invalidValue('spec.replicas', s.replicas, 'must be greater than or equal to 0'));
  }
  const restartPolicy = rec(rec(s.template).spec).restartPolicy;
  if (restartPolicy !== undefined && restartPolicy !== 'Always') problems.push(notSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  if (old && JSON.stringify(spec(old).selector) !== JSON.stringify(selector)) problems.push(invalidValue('spec.selector', selector, 'field is immutable'));
  return problems;
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
  validate: validateWorkload,
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
  validate: validateWorkload,
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

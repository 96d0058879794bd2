// The core/v1 kinds the lab serves, with kube-apiserver's Table columns (pkg/printers/internalversion).
import type { KubeObject } from '../objects';
import { formatLabels } from '../selectors';
import { ageColumn, nameColumn, since, type Cell, type TableColumn } from '../tables';
import { ALL_VERBS, READ_VERBS, type KindDescriptor } from './descriptor';
import { arr, firstOf, num, rec, spec, status, str } from './print-helpers';

const col = (name: string, type: TableColumn['type'], description: string, priority = 0): TableColumn => ({
  name,
  type,
  description,
  ...(priority ? { priority } : {}),
});

const age = (obj: KubeObject, now: number): string => since(obj.metadata.creationTimestamp, now);

export const namespaces: KindDescriptor = {
  group: '',
  resource: 'namespaces',
  versions: ['v1'],
  kind: 'Namespace',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  verbs: ALL_VERBS,
  subresources: { status: { kind: 'Namespace', verbs: ['get', 'patch', 'update'] } },
  printer: {
    columns: [nameColumn, col('Status', 'string', 'The status of the namespace'), ageColumn],
    row: (obj, now) => [obj.metadata.name, str(status(obj).phase), age(obj, now)],
  },
  fieldSelectors: { 'status.phase': (o) => str(status(o).phase) },
  defaults(obj) {
    obj.spec = { finalizers: ['kubernetes'], ...rec(obj.spec) };
    obj.status = { phase: 'Active', ...rec(obj.status) };
    obj.metadata.labels = { 'kubernetes.io/metadata.name': obj.metadata.name, ...obj.metadata.labels };
  },
};

function isRestartableInit(c: Record<string, unknown>): boolean {
  return c.restartPolicy === 'Always';
}

/** printPod: READY counts, and STATUS as kubectl shows it (Init:0/1, CrashLoopBackOff, Completed, Terminating…). */
export function podRow(pod: KubeObject, now: number): Cell[] {
  const s = spec(pod);
  const st = status(pod);
  const initSpecs = new Map(arr(s.initContainers).map((c) => [str(rec(c).name), rec(c)]));
  let total = arr(s.containers).length;
  for (const c of initSpecs.values()) if (isRestartableInit(c)) total++;
  let ready = 0;
  let restarts = 0;
  let restartableRestarts = 0;
  let lastRestart = 0;
  let lastRestartableRestart = 0;
  let reason = str(st.reason) || str(st.phase);
  const conditions = arr(st.conditions).map(rec);
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';
  const finishedAt = (cs: Record<string, unknown>): number => Date.parse(str(rec(rec(cs.lastState).terminated).finishedAt)) || 0;

  let initializing = false;
  const initStatuses = arr(st.initContainerStatuses).map(rec);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const cspec = initSpecs.get(str(cs.name)) ?? {};
    restarts += num(cs.restartCount);
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    if (isRestartableInit(cspec)) {
      restartableRestarts += num(cs.restartCount);
      lastRestartableRestart = Math.max(lastRestartableRestart, finishedAt(cs));
    }
    const state = rec(cs.state);
    const terminated = state.terminated ? rec(state.terminated) : undefined;
    const waiting = state.waiting ? rec(state.waiting) : undefined;
    if (terminated && num(terminated.exitCode) === 0) continue;
    if (isRestartableInit(cspec) && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      const r = str(terminated.reason);
      if (!r) reason = num(terminated.signal) ? `Init:Signal:${num(terminated.signal)}` : `Init:ExitCode:${num(terminated.exitCode)}`;
      else reason = `Init:${r}`;
    } else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.size}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableRestarts;
    lastRestart = lastRestartableRestart;
    let hasRunning = false;
    const statuses = arr(st.containerStatuses).map(rec);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += num(cs.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const state = rec(cs.state);
      const waiting = state.waiting ? rec(state.waiting) : undefined;
      const terminated = state.terminated ? rec(state.terminated) : undefined;
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated && str(terminated.reason)) reason = str(terminated.reason);
      else if (terminated) reason = num(terminated.signal) ? `Signal:${num(terminated.signal)}` : `ExitCode:${num(terminated.exitCode)}`;
      else if (cs.ready === true && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  // A pod that has finished stays Completed or Failed while it is deleted; NodeLost shows as Unknown.
  const phase = str(st.phase);
  if (pod.metadata.deletionTimestamp && str(st.reason) === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartText = restarts !== 0 && lastRestart ? `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)` : String(restarts);
  const podIP = str(rec(arr(st.podIPs)[0]).ip) || '<none>';
  const gates = arr(s.readinessGates).map(rec);
  const gatesText = gates.length
    ? `${gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`
    : '<none>';
  return [
    pod.metadata.name,
    `${ready}/${total}`,
    reason,
    restartText,
    age(pod, now),
    podIP,
    str(s.nodeName) || '<none>',
    str(st.nominatedNodeName) || '<none>',
    gatesText,
  ];
}

export const pods: KindDescriptor = {
  group: '',
  resource: 'pods',
  versions: ['v1'],
  kind: 'Pod',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  verbs: ALL_VERBS,
  subresources: {
    status: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    log: { kind: 'Pod', verbs: ['get'] },
    exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
    attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ephemeralcontainers: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  },
  printer: {
    columns: [
      nameColumn,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      ageColumn,
      col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
      col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    row: podRow,
  },
  fieldSelectors: {
    'spec.nodeName': (o) => str(spec(o).nodeName),
    'spec.restartPolicy': (o) => str(spec(o).restartPolicy),
    'spec.schedulerName': (o) => str(spec(o).schedulerName),
    'spec.serviceAccountName': (o) => str(spec(o).serviceAccountName),
    'spec.hostNetwork': (o) => String(spec(o).hostNetwork === true),
    'status.phase': (o) => str(status(o).phase),
    'status.podIP': (o) => str(status(o).podIP),
    'status.nominatedNodeName': (o) => str(status(o).nominatedNodeName),
  },
};

function servicePorts(obj: KubeObject): string {
  const ports = arr(spec(obj).ports).map(rec);
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) => (num(p.nodePort) > 0 ? `${num(p.port)}:${num(p.nodePort)}/${str(p.protocol, 'TCP')}` : `${num(p.port)}/${str(p.protocol, 'TCP')}`))
    .join(',');
}

function externalIP(obj: KubeObject): string {
  const s = spec(obj);
  const external = arr(s.externalIPs).map(String);
  switch (str(s.type, 'ClusterIP')) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer':
      return external.length ? external.join(',') : '<pending>';
    case 'ExternalName':
      return str(s.externalName);
    default:
      return '<unknown>';
  }
}

export const services: KindDescriptor = {
  group: '',
  resource: 'services',
  versions: ['v1'],
  kind: 'Service',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  verbs: ALL_VERBS,
  subresources: { status: { kind: 'Service', verbs: ['get', 'patch', 'update'] } },
  printer: {
    columns: [
      nameColumn,
      col('Type', 'string', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      ageColumn,
      col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    row: (obj, now) => [
      obj.metadata.name,
      str(spec(obj).type, 'ClusterIP'),
      str(arr(spec(obj).clusterIPs)[0]) || '<none>',
      externalIP(obj),
      servicePorts(obj),
      age(obj, now),
      formatLabels(rec(spec(obj).selector) as Record<string, string>),
    ],
  },
  specOf: (o) => o.spec,
};

/** formatEndpoints: `ip:port` for every port and address, the first three, then `+ N more...`. */
function endpointsText(obj: KubeObject): string {
  const subsets = arr(obj.subsets).map(rec);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss.addresses).map((a) => str(rec(a).ip));
    const ports = arr(ss.ports).map((p) => num(rec(p).port));
    if (ports.length === 0) {
      count += addresses.length;
      list.push(...addresses);
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      list.push(...addresses.map((ip) => `${ip}:${port}`));
    }
  }
  return firstOf(list, 3, count, '');
}

const DERIVED = 'the lab computes it from Services and Pods, as the endpoints controller does';

export const endpoints: KindDescriptor = {
  group: '',
  resource: 'endpoints',
  versions: ['v1'],
  kind: 'Endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  verbs: READ_VERBS,
  readOnlyReason: DERIVED,
  printer: {
    columns: [nameColumn, col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), ageColumn],
    row: (obj, now) => [obj.metadata.name, endpointsText(obj), age(obj, now)],
  },
};

export const configmaps: KindDescriptor = {
  group: '',
  resource: 'configmaps',
  versions: ['v1'],
  kind: 'ConfigMap',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  verbs: ALL_VERBS,
  printer: {
    columns: [nameColumn, col('Data', 'string', 'Data contains the configuration data.'), ageColumn],
    row: (obj, now) => [obj.metadata.name, Object.keys(rec(obj.data)).length + Object.keys(rec(obj.binaryData)).length, age(obj, now)],
  },
};

export const serviceaccounts: KindDescriptor = {
  group: '',
  resource: 'serviceaccounts',
  versions: ['v1'],
  kind: 'ServiceAccount',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  verbs: ALL_VERBS,
  printer: {
    columns: [nameColumn, col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn],
    row: (obj, now) => [obj.metadata.name, arr(obj.secrets).length, age(obj, now)],
  },
};

function eventTarget(obj: KubeObject): string {
  const involved = rec(obj.involvedObject);
  const kind = str(involved.kind).toLowerCase();
  return str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
}

export const events: KindDescriptor = {
  group: '',
  resource: 'events',
  versions: ['v1'],
  kind: 'Event',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  verbs: ALL_VERBS,
  printer: {
    columns: [
      col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
      col('Object', 'string', 'The object that this event is about.'),
      col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', 1),
      col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
      col('Count', 'string', 'The number of times this event has occurred.', 1),
      { ...nameColumn, priority: 1 },
    ],
    row: (obj, now) => {
      const first = since(str(obj.firstTimestamp) || str(obj.eventTime) || undefined, now);
      const last = str(obj.lastTimestamp) ? since(str(obj.lastTimestamp), now) : first;
      const source = rec(obj.source);
      const component = str(source.component) || str(obj.reportingComponent);
      const host = str(source.host) || str(obj.reportingInstance);
      return [
        last,
        str(obj.type),
        str(obj.reason),
        eventTarget(obj),
        str(rec(obj.involvedObject).fieldPath),
        host ? `${component}, ${host}` : component,
        str(obj.message).trim(),
        first,
        num(obj.count) || 1,
        obj.metadata.name,
      ];
    },
  },
  fieldSelectors: {
    'involvedObject.kind': (o) => str(rec(o.involvedObject).kind),
    'involvedObject.namespace': (o) => str(rec(o.involvedObject).namespace),
    'involvedObject.name': (o) => str(rec(o.involvedObject).name),
    'involvedObject.uid': (o) => str(rec(o.involvedObject).uid),
    'involvedObject.apiVersion': (o) => str(rec(o.involvedObject).apiVersion),
    'involvedObject.resourceVersion': (o) => str(rec(o.involvedObject).resourceVersion),
    'involvedObject.fieldPath': (o) => str(rec(o.involvedObject).fieldPath),
    reason: (o) => str(o.reason),
    reportingComponent: (o) => str(o.reportingComponent),
    source: (o) => str(rec(o.source).component),
    type: (o) => str(o.type),
  },
};

/** findNodeRoles: `node-role.kubernetes.io/<role>` label keys and the `kubernetes.io/role` label's value. */
function nodeRoles(obj: KubeObject): string {
  const labels = obj.metadata.labels ?? {};
  const roles = new Set(
    Object.keys(labels)
      .filter((k) => k.startsWith('node-role.kubernetes.io/'))
      .map((k) => k.slice('node-role.kubernetes.io/'.length)),
  );
  if (labels['kubernetes.io/role']) roles.add(labels['kubernetes.io/role']);
  roles.delete('');
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

/** printNode's STATUS: Ready or NotReady from the Ready condition (Unknown without one), then SchedulingDisabled when cordoned. */
function nodeStatus(obj: KubeObject): string {
  const ready = arr(status(obj).conditions).map(rec).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (spec(obj).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export const nodes: KindDescriptor = {
  group: '',
  resource: 'nodes',
  versions: ['v1'],
  kind: 'Node',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  verbs: READ_VERBS,
  readOnlyReason: 'the lab has its one node, which it runs itself',
  printer: {
    columns: [
      nameColumn,
      col('Status', 'string', 'The status of the node'),
      col('Roles', 'string', 'The roles of the node'),
      ageColumn,
      col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
      col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
      col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    row: (obj, now) => {
      const st = status(obj);
      const address = (type: string) => str(rec(arr(st.addresses).map(rec).find((a) => a.type === type)).address) || '<none>';
      const info = rec(st.nodeInfo);
      return [
        obj.metadata.name,
        nodeStatus(obj),
        nodeRoles(obj),
        age(obj, now),
        str(info.kubeletVersion),
        address('InternalIP'),
        address('ExternalIP'),
        str(info.osImage),
        str(info.kernelVersion),
        str(info.containerRuntimeVersion),
      ];
    },
  },
};

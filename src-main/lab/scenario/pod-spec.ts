// A Pod spec (of a Pod or a Deployment's template): containers, ports, and what the lab ignores.
import type { ContainerPort, ContainerSpec, EnvVar, HostAlias, PodSpec, Protocol } from './types';
import {
  dnsLabelError,
  isIPv4,
  isRecord,
  portNameError,
  type FieldRule,
  type Reader,
} from './validate';

const NO_VOLUMES = 'the lab has no volumes';
const NO_SCHEDULING = 'the lab has one node and does no scheduling';
const NO_SA = 'the lab has no service accounts';
const OWN_NS = 'every lab pod gets its own network, PID and IPC namespaces';
const ONLY_USER = 'only runAsUser and runAsGroup are honoured';
const ONLY_POD_USER = 'only runAsUser, runAsGroup, fsGroup and supplementalGroups are honoured';
const NO_LIMITS = 'the lab sets no resource limits';
const NO_PROBES = 'the lab does not run probes';
const PROXY = 'istio-proxy';
const INIT = 'istio-init';

const unlessEmpty =
  (reason: string): FieldRule =>
  (v) =>
    v === null ||
    (isRecord(v) && Object.keys(v).length === 0) ||
    (Array.isArray(v) && v.length === 0)
      ? 'silent'
      : reason;
const unless =
  (ok: unknown, reason: string): FieldRule =>
  (v) =>
    v === ok || v === null ? 'silent' : reason;

/** The tolerations every pod gets from the DefaultTolerationSeconds admission plugin. */
const isDefaultToleration = (t: unknown) =>
  isRecord(t) &&
  ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].includes(String(t.key)) &&
  t.effect === 'NoExecute';

const POD_FIELDS: Record<string, FieldRule> = {
  containers: 'model',
  initContainers: 'model',
  hostname: 'model',
  subdomain: 'model',
  hostAliases: 'model',
  securityContext: 'model',
  hostNetwork: 'model',
  dnsPolicy: (v) =>
    v === 'ClusterFirst' || v === null
      ? 'model'
      : 'the lab always uses the ClusterFirst DNS policy',
  enableServiceLinks: 'model',
  volumes: unlessEmpty(NO_VOLUMES),
  ephemeralContainers: 'ephemeral containers are not started; the lab has its own debug shell',
  nodeSelector: unlessEmpty(NO_SCHEDULING),
  affinity: unlessEmpty(NO_SCHEDULING),
  tolerations: (v) =>
    Array.isArray(v) && !v.every(isDefaultToleration) ? NO_SCHEDULING : 'silent',
  topologySpreadConstraints: unlessEmpty(NO_SCHEDULING),
  schedulingGates: unlessEmpty(NO_SCHEDULING),
  priorityClassName: NO_SCHEDULING,
  runtimeClassName: 'containers run on the default Docker runtime',
  nodeName: 'silent',
  schedulerName: 'silent',
  priority: 'silent',
  preemptionPolicy: 'silent',
  overhead: 'silent',
  os: 'silent',
  readinessGates: 'silent',
  terminationGracePeriodSeconds: 'silent',
  activeDeadlineSeconds: 'pods run until the lab stops',
  restartPolicy: unless('Always', 'the lab does not restart containers'),
  serviceAccountName: unless('default', NO_SA),
  // The deprecated alias of serviceAccountName: reported once, there.
  serviceAccount: 'silent',
  automountServiceAccountToken: 'silent',
  imagePullSecrets: unlessEmpty('images come from the local Docker engine'),
  hostPID: unless(false, OWN_NS),
  hostIPC: unless(false, OWN_NS),
  hostUsers: unless(true, OWN_NS),
  shareProcessNamespace: unless(false, OWN_NS),
  setHostnameAsFQDN: unless(false, 'the pod hostname is the short name'),
  dnsConfig: unlessEmpty('resolv.conf is the ClusterFirst one kubelet writes'),
  resources: unlessEmpty(NO_LIMITS),
  resourceClaims: unlessEmpty(NO_LIMITS),
  hostnameOverride: 'the pod hostname is its name or spec.hostname',
};

const CONTAINER_FIELDS: Record<string, FieldRule> = {
  name: 'model',
  image: 'model',
  command: 'model',
  args: 'model',
  workingDir: 'model',
  env: 'model',
  ports: 'model',
  securityContext: 'model',
  restartPolicy: 'model',
  envFrom: unlessEmpty('the lab has no ConfigMap or Secret data for envFrom'),
  resources: unlessEmpty(NO_LIMITS),
  resizePolicy: unlessEmpty(NO_LIMITS),
  livenessProbe: NO_PROBES,
  readinessProbe: NO_PROBES,
  startupProbe: NO_PROBES,
  lifecycle: unlessEmpty('the lab runs no lifecycle hooks'),
  volumeMounts: unlessEmpty(NO_VOLUMES),
  volumeDevices: unlessEmpty(NO_VOLUMES),
  imagePullPolicy: 'silent',
  terminationMessagePath: 'silent',
  terminationMessagePolicy: 'silent',
  stdin: 'silent',
  stdinOnce: 'silent',
  tty: 'silent',
  restartPolicyRules: 'the lab does not restart containers',
};

const SECURITY_CONTEXT_FIELDS: Record<string, FieldRule> = {
  runAsUser: 'model',
  runAsGroup: 'model',
};

/** The pod's securityContext adds the groups every container gets (no volumes: nothing is chowned). */
const POD_SECURITY_CONTEXT_FIELDS: Record<string, FieldRule> = {
  ...SECURITY_CONTEXT_FIELDS,
  fsGroup: 'model',
  supplementalGroups: 'model',
};

const MAX_ID = 2 ** 31 - 1;

const PORT_FIELDS: Record<string, FieldRule> = {
  containerPort: 'model',
  name: 'model',
  protocol: 'model',
  hostPort: 'nothing is published on the node',
  hostIP: 'nothing is published on the node',
};

const HOST_ALIAS_FIELDS: Record<string, FieldRule> = { ip: 'model', hostnames: 'model' };

export function readProtocol(r: Reader, v: unknown, path: string): Protocol {
  if (v === undefined || v === null) return 'TCP';
  if (v === 'TCP' || v === 'UDP' || v === 'SCTP') return v;
  r.error(path, `protocol must be TCP, UDP or SCTP, got ${JSON.stringify(v)}`);
  return 'TCP';
}

interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  /** Kept for an injected istio-proxy (values.global.proxy.privileged at its injection). */
  privileged?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
}

function readSecurityContext(r: Reader, value: unknown, path: string, report: boolean, pod = false): SecurityContext {
  const sc = r.map(value, path, 'securityContext');
  if (!sc) return {};
  if (report) {
    const rules: Record<string, FieldRule> = { ...(pod ? POD_SECURITY_CONTEXT_FIELDS : SECURITY_CONTEXT_FIELDS) };
    for (const k of Object.keys(sc)) rules[k] ??= unlessEmpty(pod ? ONLY_POD_USER : ONLY_USER);
    r.fields(sc, path, rules);
  }
  const out: SecurityContext = {
    runAsUser: r.int(sc.runAsUser, `${path}/runAsUser`, 'runAsUser', 0, MAX_ID),
    runAsGroup: r.int(sc.runAsGroup, `${path}/runAsGroup`, 'runAsGroup', 0, MAX_ID),
    ...(sc.privileged === true ? { privileged: true } : {}),
  };
  if (!pod) return out;
  out.fsGroup = r.int(sc.fsGroup, `${path}/fsGroup`, 'fsGroup', 0, MAX_ID);
  const groups = r.list(sc.supplementalGroups, `${path}/supplementalGroups`, 'supplementalGroups');
  out.supplementalGroups = groups
    .map((g, i) => r.int(g, `${path}/supplementalGroups/${i}`, 'supplementalGroups', 0, MAX_ID))
    .filter((g): g is number => g !== undefined);
  return out;
}

function readEnv(r: Reader, value: unknown, path: string, report: boolean): EnvVar[] {
  const out: EnvVar[] = [];
  r.list(value, path, 'env').forEach((raw, i) => {
    const p = `${path}/${i}`;
    const e = r.map(raw, p, `env[${i}]`);
    if (!e) return;
    const name = r.requiredString(e, 'name', p, 'env name');
    if (name === undefined) return;
    const v: EnvVar = { name };
    const literal = e.value;
    if (literal !== undefined && literal !== null) {
      v.value = r.string(literal, `${p}/value`, `env ${name} value`);
    }
    const from = r.map(e.valueFrom, `${p}/valueFrom`, 'valueFrom');
    if (from) {
      const fieldRef = isRecord(from.fieldRef) ? from.fieldRef : undefined;
      if (fieldRef && typeof fieldRef.fieldPath === 'string') v.fieldPath = fieldRef.fieldPath;
      else {
        if (report)
          r.ignore(
            `${p}/valueFrom`,
            'only valueFrom.fieldRef is resolved; the variable is left unset',
          );
        return;
      }
    }
    out.push(v);
  });
  return out;
}

function readPorts(r: Reader, value: unknown, path: string, report: boolean): ContainerPort[] {
  const out: ContainerPort[] = [];
  r.list(value, path, 'ports').forEach((raw, i) => {
    const p = `${path}/${i}`;
    const port = r.map(raw, p, `ports[${i}]`);
    if (!port) return;
    if (report) r.fields(port, p, PORT_FIELDS);
    if (port.containerPort === undefined) r.error(p, 'containerPort is required');
    const containerPort = r.port(port.containerPort, `${p}/containerPort`, 'containerPort');
    const name = r.string(port.name, `${p}/name`, 'port name');
    if (name !== undefined) {
      const err = portNameError(name);
      if (err) r.error(`${p}/name`, `port name "${name}" ${err}`);
    }
    const protocol = readProtocol(r, port.protocol, `${p}/protocol`);
    if (containerPort !== undefined)
      out.push({ ...(name ? { name } : {}), containerPort, protocol });
  });
  return out;
}

function readContainer(
  r: Reader,
  raw: unknown,
  path: string,
  init: boolean,
): ContainerSpec | undefined {
  const c = r.map(raw, path, 'container');
  if (!c) return undefined;
  const name = r.requiredString(c, 'name', path, 'container name');
  // The lab runs its own istio-init and istio-proxy, so their fields are not reported as ignored.
  const report = name !== PROXY && name !== INIT;
  if (report) r.fields(c, path, CONTAINER_FIELDS);
  if (name !== undefined) {
    const err = dnsLabelError(name);
    if (err) r.error(`${path}/name`, `container name "${name}" ${err}`);
  }
  const image = r.requiredString(c, 'image', path, `image of container ${name ?? ''}`.trim());
  const sc = readSecurityContext(r, c.securityContext, `${path}/securityContext`, report);
  const restart = c.restartPolicy;
  if (restart !== undefined && restart !== null && (!init || restart !== 'Always')) {
    r.error(
      `${path}/restartPolicy`,
      'restartPolicy of a container may only be Always, on an init container',
    );
  }
  if (name === undefined || image === undefined) return undefined;
  const spec: ContainerSpec = {
    name,
    image,
    env: readEnv(r, c.env, `${path}/env`, report),
    ports: readPorts(r, c.ports, `${path}/ports`, report),
    path,
  };
  const command = r.stringList(c.command, `${path}/command`, 'command');
  const args = r.stringList(c.args, `${path}/args`, 'args');
  const workingDir = r.string(c.workingDir, `${path}/workingDir`, 'workingDir');
  if (command) spec.command = command;
  if (args) spec.args = args;
  if (workingDir) spec.workingDir = workingDir;
  if (sc.runAsUser !== undefined) spec.runAsUser = sc.runAsUser;
  if (sc.runAsGroup !== undefined) spec.runAsGroup = sc.runAsGroup;
  if (restart === 'Always') spec.restartAlways = true;
  if (name === PROXY && sc.privileged) spec.privileged = true;
  return spec;
}

function readHostAliases(r: Reader, value: unknown, path: string): HostAlias[] {
  const out: HostAlias[] = [];
  r.list(value, path, 'hostAliases').forEach((raw, i) => {
    const p = `${path}/${i}`;
    const a = r.map(raw, p, `hostAliases[${i}]`);
    if (!a) return;
    r.fields(a, p, HOST_ALIAS_FIELDS);
    const ip = r.requiredString(a, 'ip', p, 'hostAliases ip');
    if (ip !== undefined && !isIPv4(ip))
      r.error(`${p}/ip`, `hostAliases ip must be an IPv4 address, got "${ip}"`);
    out.push({
      ip: ip ?? '',
      hostnames: r.stringList(a.hostnames, `${p}/hostnames`, 'hostnames') ?? [],
    });
  });
  return out;
}

/** Reads the pod spec at `path`; `undefined` when it is too broken to use (errors are recorded). */
export function readPodSpec(r: Reader, value: unknown, path: string): PodSpec | undefined {
  const spec = r.map(value, path, 'spec');
  if (!spec) {
    r.error(path, 'spec with containers is required');
    return undefined;
  }
  r.fields(spec, path, POD_FIELDS);
  const rawContainers = r.list(spec.containers, `${path}/containers`, 'containers');
  if (rawContainers.length === 0)
    r.error(path + (spec.containers ? '/containers' : ''), 'a pod needs at least one container');
  const containers = rawContainers.map((c, i) =>
    readContainer(r, c, `${path}/containers/${i}`, false),
  );
  const inits = r
    .list(spec.initContainers, `${path}/initContainers`, 'initContainers')
    .map((c, i) => readContainer(r, c, `${path}/initContainers/${i}`, true));
  const seen = new Map<string, string>();
  for (const c of [...inits, ...containers]) {
    if (!c) continue;
    if (seen.has(c.name)) r.error(`${c.path}/name`, `duplicate container name "${c.name}"`);
    seen.set(c.name, c.path);
  }
  const sc = readSecurityContext(r, spec.securityContext, `${path}/securityContext`, true, true);
  const hostname = r.string(spec.hostname, `${path}/hostname`, 'hostname');
  const subdomain = r.string(spec.subdomain, `${path}/subdomain`, 'subdomain');
  for (const [k, v] of [
    ['hostname', hostname],
    ['subdomain', subdomain],
  ] as const) {
    const err = v === undefined ? undefined : dnsLabelError(v);
    if (err) r.error(`${path}/${k}`, `${k} "${v}" ${err}`);
  }
  for (const k of ['hostNetwork', 'enableServiceLinks']) {
    const v = spec[k];
    if (v !== undefined && v !== null && typeof v !== 'boolean')
      r.error(`${path}/${k}`, `${k} must be a boolean`);
  }
  const all = containers.filter((c): c is ContainerSpec => c !== undefined);
  const initList = inits.filter((c): c is ContainerSpec => c !== undefined);
  // kubectl get pod -o yaml of an injected pod: istio-proxy is a container, or a native
  // sidecar (an init container with restartPolicy Always) since Istio 1.19.
  const proxy = all.find((c) => c.name === PROXY) ?? initList.find((c) => c.name === PROXY);
  const init = proxy ? initList.find((c) => c.name === INIT) : undefined;
  // Istio CNI's istio-validation only checks the rules the CNI plugin wrote before any init
  // container ran; the lab writes the same rules at that moment instead.
  const validation = proxy ? initList.find((c) => c.name === 'istio-validation') : undefined;
  if (validation)
    r.ignore(validation.path, 'not run: the lab applies the rules before the init containers, as istio-cni does');
  const out: PodSpec = {
    containers: proxy ? all.filter((c) => c !== proxy) : all,
    initContainers: initList.filter((c) => c !== proxy && c !== init && c !== validation),
    alreadyInjected: proxy !== undefined,
    hostAliases: readHostAliases(r, spec.hostAliases, `${path}/hostAliases`),
    hostNetwork: spec.hostNetwork === true,
    enableServiceLinks: spec.enableServiceLinks !== false,
  };
  if (proxy) out.injectedProxy = proxy;
  if (init) out.injectedInit = init;
  if (validation && !init) out.cni = true;
  if (hostname) out.hostname = hostname;
  if (subdomain) out.subdomain = subdomain;
  if (sc.runAsUser !== undefined) out.runAsUser = sc.runAsUser;
  if (sc.runAsGroup !== undefined) out.runAsGroup = sc.runAsGroup;
  if (sc.fsGroup !== undefined) out.fsGroup = sc.fsGroup;
  if (sc.supplementalGroups?.length) out.supplementalGroups = sc.supplementalGroups;
  if (out.hostNetwork) r.ignore(`${path}/hostNetwork`, OWN_NS);
  return out;
}

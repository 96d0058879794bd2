// A pod spec as Istio's injection webhook leaves it (the classic layout: istio-init first among the init containers, istio-proxy after the app's containers), for the API to serve.
import { clone, isRecord } from './objects';

/** The Istio release whose template the lab's injected pods follow. */
export const ISTIO_VERSION = '1.26.2';
const PROXY_IMAGE = `docker.io/istio/proxyv2:${ISTIO_VERSION}`;

/** The volumes the sidecar template adds, in its order (they are also the status annotation's list). */
const VOLUMES: Record<string, unknown>[] = [
  { name: 'workload-socket', emptyDir: {} },
  { name: 'credential-socket', emptyDir: {} },
  { name: 'workload-certs', emptyDir: {} },
  { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
  { name: 'istio-data', emptyDir: {} },
  {
    name: 'istio-podinfo',
    downwardAPI: {
      defaultMode: 420,
      items: [
        { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
        { path: 'annotations', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.annotations' } },
      ],
    },
  },
  {
    name: 'istio-token',
    projected: { defaultMode: 420, sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] },
  },
  { name: 'istiod-ca-cert', configMap: { defaultMode: 420, name: 'istio-ca-root-cert' } },
];

const PROXY_MOUNTS = [
  { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
  { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
  { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
  { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
  { mountPath: '/var/lib/istio/data', name: 'istio-data' },
  { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
  { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
  { mountPath: '/etc/istio/pod', name: 'istio-podinfo' },
];

type Container = Record<string, unknown> & { name: string };

function fieldEnv(name: string, fieldPath: string): Record<string, unknown> {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function podPorts(containers: Container[]): string {
  const ports = containers.flatMap((c) => (Array.isArray(c.ports) ? c.ports : []));
  return JSON.stringify(ports.filter(isRecord).map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })));
}

function proxyContainer(apps: Container[], workload: string, interceptionMode: string): Container {
  return {
    name: 'istio-proxy',
    image: PROXY_IMAGE,
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: 'istiod.istio-system.svc:15012' },
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('INSTANCE_IP', 'status.podIP'),
      fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      fieldEnv('HOST_IP', 'status.hostIP'),
      { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { divisor: '0', resource: 'limits.cpu' } } },
      { name: 'PROXY_CONFIG', value: '{}\n' },
      { name: 'ISTIO_META_POD_PORTS', value: podPorts(apps) },
      { name: 'ISTIO_META_APP_CONTAINERS', value: apps.map((c) => c.name).join(',') },
      { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { divisor: '0', resource: 'limits.memory' } } },
      { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { divisor: '0', resource: 'limits.cpu' } } },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
      fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
      { name: 'ISTIO_META_INTERCEPTION_MODE', value: interceptionMode },
      { name: 'ISTIO_META_WORKLOAD_NAME', value: workload },
      { name: 'ISTIO_META_MESH_ID', value: 'cluster.local' },
      { name: 'TRUST_DOMAIN', value: 'cluster.local' },
    ],
    imagePullPolicy: 'IfNotPresent',
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    readinessProbe: { failureThreshold: 4, httpGet: { path: '/healthz/ready', port: 15021, scheme: 'HTTP' }, periodSeconds: 15, successThreshold: 1, timeoutSeconds: 3 },
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: true,
      runAsUser: 1337,
    },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    volumeMounts: PROXY_MOUNTS,
  };
}

function initContainer(args: string[]): Container {
  return {
    name: 'istio-init',
    image: PROXY_IMAGE,
    args: ['istio-iptables', ...args],
    imagePullPolicy: 'IfNotPresent',
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

export interface InjectedView {
  spec: Record<string, unknown>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The webhook's changes to a pod: istio-init (absent with `init` undefined, as with
 * interceptionMode NONE), istio-proxy, the volumes, Istio's labels and the status annotation.
 */
export function injectedView(
  spec: Record<string, unknown>,
  labels: Record<string, string>,
  opts: { init?: string[]; workload: string; interceptionMode: string },
): InjectedView {
  const out = clone(spec);
  const apps = (Array.isArray(out.containers) ? out.containers : []) as Container[];
  const inits = (Array.isArray(out.initContainers) ? out.initContainers : []) as Container[];
  const injectedInits = opts.init ? [initContainer(opts.init)] : [];
  out.initContainers = [...injectedInits, ...inits];
  if ((out.initContainers as unknown[]).length === 0) delete out.initContainers;
  out.containers = [...apps, proxyContainer(apps, opts.workload, opts.interceptionMode)];
  out.volumes = [...VOLUMES, ...(Array.isArray(out.volumes) ? out.volumes : [])];
  const status = {
    initContainers: injectedInits.map((c) => c.name),
    containers: ['istio-proxy'],
    volumes: VOLUMES.map((v) => v.name),
    imagePullSecrets: null,
    revision: 'default',
  };
  const name = labels['app.kubernetes.io/name'] ?? labels.app ?? opts.workload;
  const revision = labels['app.kubernetes.io/version'] ?? labels.version ?? 'latest';
  return {
    spec: out,
    labels: { 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': name, 'service.istio.io/canonical-revision': revision },
    annotations: {
      'istio.io/rev': 'default',
      ...(apps[0] ? { 'kubectl.kubernetes.io/default-container': apps[0].name, 'kubectl.kubernetes.io/default-logs-container': apps[0].name } : {}),
      'prometheus.io/path': '/stats/prometheus',
      'prometheus.io/port': '15020',
      'prometheus.io/scrape': 'true',
      'sidecar.istio.io/status': JSON.stringify(status),
    },
  };
}

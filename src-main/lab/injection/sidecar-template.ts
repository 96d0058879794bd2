// The containers and volumes of Istio's `sidecar` injection template, for one pod.
import { canonicalQuantity } from './quantity';
import { cniEnabled, type InjectorValues } from './values';
import { isRecord, type JsonObject, type KubeContainer, type KubeEnvVar } from './kube-types';

/** What the template reads beyond the values: the pod's decisions and the workload it belongs to. */
export interface TemplateInput {
  values: InjectorValues;
  annotations: Record<string, string>;
  interceptionMode: string;
  /** istio-iptables flags (without the `istio-iptables` word) and the proxy metadata. */
  initArgs: string[];
  proxyMetadata: Record<string, string>;
  /** The pod's own ProxyConfig (proxy.istio.io/config) as JSON, `{}` when none. */
  proxyConfigJson: string;
  appContainers: KubeContainer[];
  statusPort: number;
  holdProxy: boolean;
  native: boolean;
  trustDomain: string;
  workload: { name: string; namespace: string; kind: string; apiVersion: string };
  probers?: string;
}

const fieldRef = (name: string, fieldPath: string): KubeEnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});
const resourceRef = (name: string, resource: string): KubeEnvVar => ({
  name,
  valueFrom: { resourceFieldRef: { divisor: '0', resource } },
});

/** Resources as a Pod stores them: quantities in canonical form. */
function canonicalResources(r: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(r)) {
    if (!isRecord(v)) continue;
    out[k] = Object.fromEntries(Object.entries(v).map(([n, q]) => [n, canonicalQuantity(q)]));
  }
  return out;
}

/** The resources helper: the proxyCPU/Memory annotations replace the values' resources. */
export function proxyResources(values: InjectorValues, a: Record<string, string>): JsonObject {
  const ann = {
    requests: { cpu: a['sidecar.istio.io/proxyCPU'], memory: a['sidecar.istio.io/proxyMemory'] },
    limits: {
      cpu: a['sidecar.istio.io/proxyCPULimit'],
      memory: a['sidecar.istio.io/proxyMemoryLimit'],
    },
  };
  const set = [...Object.values(ann.requests), ...Object.values(ann.limits)].some(
    (v) => v !== undefined,
  );
  if (!set) return canonicalResources(values.global.proxy.resources);
  const pick = (o: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const out: Record<string, unknown> = {};
  if (Object.keys(pick(ann.requests)).length) out.requests = pick(ann.requests);
  if (Object.keys(pick(ann.limits)).length) out.limits = pick(ann.limits);
  return canonicalResources(out);
}

function image(values: InjectorValues, a: Record<string, string>, name: string): string {
  const override = a['sidecar.istio.io/proxyImage'] ?? name;
  return override.includes('/') ? override : `${values.global.hub}/${name}:${values.global.tag}`;
}

/** ISTIO_META_POD_PORTS: each port as Go's json.Marshal writes a ContainerPort, one a line. */
function podPorts(containers: KubeContainer[]): string {
  const items = containers.flatMap((c) =>
    (c.ports ?? []).map((p) => {
      const o: Record<string, unknown> = {};
      if (p.name) o.name = p.name;
      if (p.hostPort) o.hostPort = p.hostPort;
      o.containerPort = p.containerPort;
      if (p.protocol) o.protocol = p.protocol;
      if (p.hostIP) o.hostIP = p.hostIP;
      return JSON.stringify(o);
    }),
  );
  return ['[', ...items.map((s, i) => `    ${i > 0 ? ',' : ''}${s}`), ']'].join('\n');
}

export function initContainer(t: TemplateInput): KubeContainer {
  const { values, annotations: a } = t;
  const privileged = values.global.proxy.privileged;
  const cni = cniEnabled(values);
  const c: KubeContainer = {
    name: cni ? 'istio-validation' : 'istio-init',
    image: image(values, a, values.global.proxy_init.image),
    args: [
      'istio-iptables',
      ...t.initArgs,
      ...(values.global.logAsJson ? ['--log_as_json'] : []),
      ...(cni ? ['--run-validation', '--skip-rule-apply'] : []),
    ],
  };
  if (values.global.imagePullPolicy) c.imagePullPolicy = values.global.imagePullPolicy;
  const env = Object.keys(t.proxyMetadata)
    .sort()
    .map((name) => ({ name, value: t.proxyMetadata[name] }));
  if (env.length) c.env = env;
  c.resources = proxyResources(values, a);
  c.securityContext = {
    allowPrivilegeEscalation: privileged,
    capabilities: cni ? { drop: ['ALL'] } : { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    privileged,
    readOnlyRootFilesystem: cni,
    runAsGroup: cni ? 1337 : 0,
    runAsNonRoot: cni,
    runAsUser: cni ? 1337 : 0,
  };
  return c;
}

function proxyEnv(t: TemplateInput): KubeEnvVar[] {
  const g = t.values.global;
  const rev = t.values.revision;
  const env: KubeEnvVar[] = [
    { name: 'PILOT_CERT_PROVIDER', value: g.pilotCertProvider },
    {
      name: 'CA_ADDR',
      value:
        g.caAddress ||
        `istiod${rev && rev !== 'default' ? `-${rev}` : ''}.${g.istioNamespace}.svc:15012`,
    },
    fieldRef('POD_NAME', 'metadata.name'),
    fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    fieldRef('INSTANCE_IP', 'status.podIP'),
    fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldRef('HOST_IP', 'status.hostIP'),
    resourceRef('ISTIO_CPU_LIMIT', 'limits.cpu'),
    { name: 'PROXY_CONFIG', value: `${t.proxyConfigJson}\n` },
    { name: 'ISTIO_META_POD_PORTS', value: podPorts(t.appContainers) },
    { name: 'ISTIO_META_APP_CONTAINERS', value: t.appContainers.map((c) => c.name).join(',') },
    resourceRef('GOMEMLIMIT', 'limits.memory'),
    resourceRef('GOMAXPROCS', 'limits.cpu'),
    { name: 'ISTIO_META_CLUSTER_ID', value: g.multiCluster.clusterName || 'Kubernetes' },
    fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    { name: 'ISTIO_META_INTERCEPTION_MODE', value: t.interceptionMode },
  ];
  if (g.network) env.push({ name: 'ISTIO_META_NETWORK', value: g.network });
  const w = t.workload;
  if (w.name) {
    env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: w.name });
    env.push({
      name: 'ISTIO_META_OWNER',
      value: `kubernetes://apis/${w.apiVersion}/namespaces/${w.namespace}/${w.kind.toLowerCase()}s/${w.name}`,
    });
  }
  const trust = t.trustDomain || g.trustDomain;
  if (g.meshID || trust) env.push({ name: 'ISTIO_META_MESH_ID', value: g.meshID || trust });
  if (trust) env.push({ name: 'TRUST_DOMAIN', value: trust });
  for (const name of Object.keys(t.proxyMetadata).sort())
    env.push({ name, value: t.proxyMetadata[name] });
  if (t.probers !== undefined) env.push({ name: 'ISTIO_KUBE_APP_PROBERS', value: t.probers });
  return env;
}

const healthz = { path: '/healthz/ready', port: 15021 };

export function proxyContainer(t: TemplateInput): KubeContainer {
  const { values, annotations: a } = t;
  const p = values.global.proxy;
  const ann = (name: string, fallback: string) => a[name] ?? fallback;
  const args = [
    'proxy',
    'sidecar',
    '--domain',
    `$(POD_NAMESPACE).svc.${p.clusterDomain}`,
    `--proxyLogLevel=${ann('sidecar.istio.io/logLevel', p.logLevel)}`,
    `--proxyComponentLogLevel=${ann('sidecar.istio.io/componentLogLevel', p.componentLogLevel)}`,
    `--log_output_level=${ann('sidecar.istio.io/agentLogLevel', values.global.logging.level)}`,
  ];
  if (values.global.sts.servicePort) args.push(`--stsPort=${values.global.sts.servicePort}`);
  if (values.global.logAsJson) args.push('--log_as_json');
  const c: KubeContainer = {
    name: 'istio-proxy',
    image: image(values, a, p.image),
    args,
    env: proxyEnv(t),
  };
  if (Object.keys(p.lifecycle).length) c.lifecycle = p.lifecycle;
  else if (t.holdProxy) c.lifecycle = { postStart: { exec: { command: ['pilot-agent', 'wait'] } } };
  else if (t.native)
    c.lifecycle = {
      preStop: {
        exec: { command: ['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain'] },
      },
    };
  if (values.global.imagePullPolicy) c.imagePullPolicy = values.global.imagePullPolicy;
  c.ports = [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }];
  if (t.statusPort !== 0) {
    const num = (name: string, fallback: number) =>
      a[name] !== undefined ? Number(a[name]) : fallback;
    const initialDelay = num(
      'readiness.status.sidecar.istio.io/initialDelaySeconds',
      p.readinessInitialDelaySeconds,
    );
    c.readinessProbe = {
      failureThreshold: num(
        'readiness.status.sidecar.istio.io/failureThreshold',
        p.readinessFailureThreshold,
      ),
      httpGet: { ...healthz },
      ...(initialDelay ? { initialDelaySeconds: initialDelay } : {}),
      periodSeconds: num(
        'readiness.status.sidecar.istio.io/periodSeconds',
        p.readinessPeriodSeconds,
      ),
      timeoutSeconds: 3,
    };
    if (p.startupProbe.enabled)
      c.startupProbe = {
        failureThreshold: p.startupProbe.failureThreshold,
        httpGet: { ...healthz },
        periodSeconds: 1,
        timeoutSeconds: 3,
      };
  }
  c.resources = proxyResources(values, a);
  if (t.native) c.restartPolicy = 'Always';
  const tproxy = t.interceptionMode === 'TPROXY';
  const bind = ann('sidecar.istio.io/capNetBindService', String(p.capNetBindService)) === 'true';
  const add = [...(tproxy ? ['NET_ADMIN'] : []), ...(bind ? ['NET_BIND_SERVICE'] : [])];
  c.securityContext = {
    allowPrivilegeEscalation: p.privileged,
    capabilities: add.length ? { add, drop: ['ALL'] } : { drop: ['ALL'] },
    privileged: p.privileged,
    readOnlyRootFilesystem:
      ann('sidecar.istio.io/enableCoreDump', String(p.enableCoreDump)) !== 'true',
    runAsGroup: 1337,
    runAsNonRoot: !(tproxy || bind),
    runAsUser: tproxy || bind ? 0 : 1337,
  };
  c.volumeMounts = [
    { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
    { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
    { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
    ...(values.global.pilotCertProvider === 'istiod'
      ? [
          { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
          { mountPath: '/var/run/secrets/istio/crl', name: 'istio-ca-crl' },
        ]
      : []),
    { mountPath: '/var/lib/istio/data', name: 'istio-data' },
    { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
    ...(values.global.jwtPolicy === 'third-party-jwt'
      ? [{ mountPath: '/var/run/secrets/tokens', name: 'istio-token' }]
      : []),
    { mountPath: '/etc/istio/pod', name: 'istio-podinfo' },
  ];
  return c;
}

/** The template's volumes, in its order (a volume without a source is an emptyDir once the API server defaults it). */
export function sidecarVolumes(values: InjectorValues): JsonObject[] {
  const g = values.global;
  return [
    { name: 'workload-socket' },
    { name: 'credential-socket' },
    { name: 'workload-certs' },
    { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
    { emptyDir: {}, name: 'istio-data' },
    {
      downwardAPI: {
        items: [
          { fieldRef: { fieldPath: 'metadata.labels' }, path: 'labels' },
          { fieldRef: { fieldPath: 'metadata.annotations' }, path: 'annotations' },
        ],
      },
      name: 'istio-podinfo',
    },
    ...(g.jwtPolicy === 'third-party-jwt'
      ? [
          {
            name: 'istio-token',
            projected: {
              sources: [
                {
                  serviceAccountToken: {
                    audience: g.sds.token.aud,
                    expirationSeconds: 43200,
                    path: 'istio-token',
                  },
                },
              ],
            },
          },
        ]
      : []),
    ...(g.pilotCertProvider === 'istiod'
      ? [
          { configMap: { name: 'istio-ca-root-cert' }, name: 'istiod-ca-cert' },
          { configMap: { name: 'istio-ca-crl', optional: true }, name: 'istio-ca-crl' },
        ]
      : []),
  ];
}

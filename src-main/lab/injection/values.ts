// The injector's mesh-wide values (`data.values` of ConfigMap istio-sidecar-injector): types, Istio's defaults, checks.
import { ANNOTATIONS, checkAnnotationValue } from './annotations';

/** The part of Istio's Helm values that the sidecar injection template reads. */
export interface InjectorValues {
  revision: string;
  global: {
    hub: string;
    tag: string;
    imagePullPolicy: string;
    imagePullSecrets: string[];
    istioNamespace: string;
    jwtPolicy: string;
    pilotCertProvider: string;
    caAddress: string;
    caName: string;
    meshID: string;
    trustDomain: string;
    network: string;
    logAsJson: boolean;
    logging: { level: string };
    multiCluster: { clusterName: string };
    sds: { token: { aud: string } };
    sts: { servicePort: number };
    proxy: {
      image: string;
      clusterDomain: string;
      statusPort: number;
      includeIPRanges: string;
      excludeIPRanges: string;
      includeInboundPorts: string;
      excludeInboundPorts: string;
      includeOutboundPorts: string;
      excludeOutboundPorts: string;
      privileged: boolean;
      holdApplicationUntilProxyStarts: boolean;
      logLevel: string;
      componentLogLevel: string;
      readinessInitialDelaySeconds: number;
      readinessPeriodSeconds: number;
      readinessFailureThreshold: number;
      enableCoreDump: boolean;
      capNetBindService: boolean;
      startupProbe: { enabled: boolean; failureThreshold: number };
      resources: Record<string, unknown>;
      lifecycle: Record<string, unknown>;
    };
    proxy_init: { image: string; resources: Record<string, unknown> };
  };
  istio_cni: { enabled: boolean };
  /** Istio 1.21+ writes the CNI switch here (`pilot.cni.enabled`); older charts use `istio_cni.enabled`. */
  pilot: { cni: { enabled: boolean } };
  sidecarInjectorWebhook: { rewriteAppHTTPProbe: boolean };
}

/** The defaults of Istio's chart (manifests/charts/istio-control/istio-discovery/values.yaml). */
export function defaultInjectorValues(): InjectorValues {
  return {
    revision: '',
    global: {
      hub: 'docker.io/istio',
      tag: 'latest',
      imagePullPolicy: '',
      imagePullSecrets: [],
      istioNamespace: 'istio-system',
      jwtPolicy: 'third-party-jwt',
      pilotCertProvider: 'istiod',
      caAddress: '',
      caName: '',
      meshID: '',
      trustDomain: '',
      network: '',
      logAsJson: false,
      logging: { level: 'default:info' },
      multiCluster: { clusterName: '' },
      sds: { token: { aud: 'istio-ca' } },
      sts: { servicePort: 0 },
      proxy: {
        image: 'proxyv2',
        clusterDomain: 'cluster.local',
        statusPort: 15020,
        includeIPRanges: '*',
        excludeIPRanges: '',
        includeInboundPorts: '*',
        excludeInboundPorts: '',
        includeOutboundPorts: '',
        excludeOutboundPorts: '',
        privileged: false,
        holdApplicationUntilProxyStarts: false,
        logLevel: 'warning',
        componentLogLevel: 'misc:error',
        readinessInitialDelaySeconds: 0,
        readinessPeriodSeconds: 15,
        readinessFailureThreshold: 4,
        enableCoreDump: false,
        capNetBindService: false,
        startupProbe: { enabled: true, failureThreshold: 600 },
        resources: {
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '2000m', memory: '1024Mi' },
        },
        lifecycle: {},
      },
      proxy_init: { image: 'proxyv2', resources: {} },
    },
    istio_cni: { enabled: false },
    pilot: { cni: { enabled: false } },
    sidecarInjectorWebhook: { rewriteAppHTTPProbe: true },
  };
}

/**
 * How a value is checked. `int` takes a JSON number or a decimal string (protojson accepts both);
 * `object` is a mapping copied as is; `known` is a value of Istio's schema the lab does not use.
 */
type Rule = 'string' | 'bool' | 'int' | 'object' | 'strings' | 'known' | { [key: string]: Rule };

const PROXY: Record<string, Rule> = {
  image: 'string',
  clusterDomain: 'string',
  statusPort: 'int',
  includeIPRanges: 'string',
  excludeIPRanges: 'string',
  includeInboundPorts: 'string',
  excludeInboundPorts: 'string',
  includeOutboundPorts: 'string',
  excludeOutboundPorts: 'string',
  privileged: 'bool',
  holdApplicationUntilProxyStarts: 'bool',
  logLevel: 'string',
  componentLogLevel: 'string',
  readinessInitialDelaySeconds: 'int',
  readinessPeriodSeconds: 'int',
  readinessFailureThreshold: 'int',
  enableCoreDump: 'bool',
  capNetBindService: 'bool',
  startupProbe: { enabled: 'bool', failureThreshold: 'int' },
  resources: 'object',
  lifecycle: 'object',
  // In Istio's schema (values_types.proto ProxyConfig), not read by the lab.
  autoInject: 'known',
  outlierLogPath: 'known',
  tracer: 'known',
  seccompProfile: 'known',
  excludeInterfaces: 'known',
};

const GLOBAL: Record<string, Rule> = {
  hub: 'string',
  tag: 'string',
  imagePullPolicy: 'string',
  imagePullSecrets: 'strings',
  istioNamespace: 'string',
  jwtPolicy: 'string',
  pilotCertProvider: 'string',
  caAddress: 'string',
  caName: 'string',
  meshID: 'string',
  trustDomain: 'string',
  network: 'string',
  logAsJson: 'bool',
  logging: { level: 'string' },
  multiCluster: {
    clusterName: 'string',
    enabled: 'known',
    globalDomainSuffix: 'known',
    includeEnvoyFilter: 'known',
  },
  sds: { token: { aud: 'string' } },
  sts: { servicePort: 'int' },
  proxy: PROXY,
  proxy_init: { image: 'string', resources: 'object', forceApplyIptables: 'known' },
  // The rest of GlobalConfig in Istio's values_types.proto.
  arch: 'known',
  autoscalingv2API: 'known',
  certSigners: 'known',
  configCluster: 'known',
  configValidation: 'known',
  defaultNodeSelector: 'known',
  defaultPodDisruptionBudget: 'known',
  defaultResources: 'known',
  defaultTolerations: 'known',
  enabled: 'known',
  externalIstiod: 'known',
  ipFamilies: 'known',
  ipFamilyPolicy: 'known',
  istiod: 'known',
  meshNetworks: 'known',
  mountMtlsCerts: 'known',
  namespace: 'known',
  nativeNftables: 'known',
  networkPolicy: 'known',
  omitSidecarInjectorConfigMap: 'known',
  oneNamespace: 'known',
  operatorManageWebhooks: 'known',
  platform: 'known',
  podDNSSearchNamespaces: 'known',
  priorityClassName: 'known',
  remotePilotAddress: 'known',
  resourceScope: 'known',
  tracer: 'known',
  trustBundleName: 'known',
  useMCP: 'known',
  variant: 'known',
  waypoint: 'known',
};

/** Top level: the sections the template reads are checked; Istio's other sections are accepted as they are. */
const ROOT: Record<string, Rule> = {
  global: GLOBAL,
  revision: 'string',
  istio_cni: { enabled: 'bool', chained: 'known', provider: 'known' },
  sidecarInjectorWebhook: {
    rewriteAppHTTPProbe: 'bool',
    enableNamespacesByDefault: 'known',
    neverInjectSelector: 'known',
    alwaysInjectSelector: 'known',
    injectedAnnotations: 'known',
    objectSelector: 'known',
    templates: 'known',
    defaultTemplates: 'known',
    reinvocationPolicy: 'known',
  },
  base: 'known',
  cni: 'known',
  gateways: 'known',
  istiodRemote: 'known',
  meshConfig: 'known',
  ownerName: 'known',
  // Only pilot.cni.enabled is read; the rest of istiod's section is accepted as it is.
  pilot: { cni: { enabled: 'bool', '*': 'known' }, '*': 'known' },
  profile: 'known',
  telemetry: 'known',
  ztunnel: 'known',
  compatibilityVersion: 'known',
  experimental: 'known',
  gatewayClasses: 'known',
  resourceScope: 'known',
  defaultRevision: 'known',
};

export interface ValuesProblem {
  /** JSON pointer of the value at fault inside `values` (`/global/proxy/statusPort`). */
  pointer: string;
  /** Dotted path, as Istio's values are usually written (`values.global.proxy.statusPort`). */
  path: string;
  message: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isObject(v)) return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function walk(
  value: unknown,
  rules: Record<string, Rule>,
  target: Record<string, unknown>,
  segs: string[],
  problems: ValuesProblem[],
): void {
  const here = (extra: string[]) => ({
    pointer: [...segs, ...extra]
      .map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join(''),
    path: ['values', ...segs, ...extra].join('.'),
  });
  if (!isObject(value)) {
    const at = here([]);
    problems.push({ ...at, message: `${at.path} must be a mapping, got ${typeName(value)}` });
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    // `*` stands for the keys of a section the lab accepts without reading.
    const rule = rules[key] ?? rules['*'];
    const at = here([key]);
    const bad = (want: string) =>
      problems.push({ ...at, message: `${at.path} must be ${want}, got ${typeName(v)}` });
    if (rule === undefined) {
      problems.push({
        ...at,
        message: `unknown value ${at.path} (not in Istio's injector values)`,
      });
      continue;
    }
    // A null leaves Istio's default in place, as Helm does.
    if (v === null || rule === 'known') continue;
    if (typeof rule === 'object') {
      if (!isObject(target[key])) target[key] = {};
      walk(v, rule, target[key] as Record<string, unknown>, [...segs, key], problems);
    } else if (rule === 'string') {
      if (typeof v === 'string') target[key] = v;
      else bad('a string');
    } else if (rule === 'bool') {
      if (typeof v === 'boolean') target[key] = v;
      else bad('a boolean (true or false)');
    } else if (rule === 'int') {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) target[key] = v;
      else if (typeof v === 'string' && /^\d+$/.test(v)) target[key] = Number(v);
      else bad('a whole number');
    } else if (rule === 'object') {
      if (isObject(v)) target[key] = v;
      else bad('a mapping');
    } else if (rule === 'strings') {
      // imagePullSecrets: names, or {name: …} as newer charts write them.
      if (
        Array.isArray(v) &&
        v.every((x) => typeof x === 'string' || (isObject(x) && typeof x.name === 'string'))
      )
        target[key] = v.map((x) =>
          typeof x === 'string' ? x : String((x as { name: string }).name),
        );
      else bad('a list of names');
    }
  }
}

/** Istio's CNI mode: the injector writes istio-validation, and istio-cni writes the rules from the node. */
export function cniEnabled(values: InjectorValues): boolean {
  return values.istio_cni.enabled || values.pilot.cni.enabled;
}

/**
 * Istio's defaults with `values` (the parsed JSON of `data.values`) laid over them. Every unknown
 * key and wrongly typed value is reported with its path; the values are usable only without problems.
 */
export function readInjectorValues(values: unknown): {
  values: InjectorValues;
  problems: ValuesProblem[];
} {
  const out = defaultInjectorValues();
  const problems: ValuesProblem[] = [];
  walk(values, ROOT, out as unknown as Record<string, unknown>, [], problems);
  // istio-iptables takes these as the annotations' values: checked the same way, named by their path.
  const lists: [keyof InjectorValues['global']['proxy'], string][] = [
    ['includeIPRanges', ANNOTATIONS.includeOutboundIPRanges],
    ['excludeIPRanges', ANNOTATIONS.excludeOutboundIPRanges],
    ['includeInboundPorts', ANNOTATIONS.includeInboundPorts],
    ['excludeInboundPorts', ANNOTATIONS.excludeInboundPorts],
    ['includeOutboundPorts', ANNOTATIONS.includeOutboundPorts],
    ['excludeOutboundPorts', ANNOTATIONS.excludeOutboundPorts],
  ];
  for (const [key, annotation] of lists) {
    const value = String(out.global.proxy[key]);
    const problem = checkAnnotationValue(annotation, value);
    if (problem)
      problems.push({
        pointer: `/global/proxy/${key}`,
        path: `values.global.proxy.${key}`,
        message: `values.global.proxy.${key}: invalid value ${JSON.stringify(value)}: ${problem}`,
      });
  }
  const port = out.global.proxy.statusPort;
  if (port > 65535)
    problems.push({
      pointer: '/global/proxy/statusPort',
      path: 'values.global.proxy.statusPort',
      message: `values.global.proxy.statusPort must be a port (0-65535), got ${port}`,
    });
  return { values: out, problems };
}

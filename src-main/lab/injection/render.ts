// The injected pod as Istio's webhook writes it: a pure function of the pod, the mesh config and the injector's values.
import { parse as parseYaml } from 'yaml';
import { ANNOTATIONS, InjectionError } from './annotations';
import { cniAnnotations } from './cni-annotations';
import { injectorArgs, meshDefaultsFromValues } from './injector';
import { cloneJson, isRecord, stringMap, type KubeContainer, type KubePod } from './kube-types';
import { probersJson, rewriteAppProbes } from './probes';
import { nativeSidecarFor } from './native-sidecars';
import { applyPrometheusMerge } from './prometheus-merge';
import {
  initContainer,
  proxyContainer,
  sidecarVolumes,
  type TemplateInput,
} from './sidecar-template';
import { cniEnabled, defaultInjectorValues, type InjectorValues } from './values';
import { podTemplateOf } from './workload';

/** The mesh config as istiod holds it (`data.mesh` of ConfigMap istio), only the parts injection reads. */
export interface MeshLike {
  trustDomain?: string;
  enablePrometheusMerge?: boolean;
  defaultConfig?: {
    interceptionMode?: string;
    holdApplicationUntilProxyStarts?: boolean;
    proxyMetadata?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface RenderOptions {
  mesh?: MeshLike;
  /** The injector's values (`readInjectorValues`); Istio's defaults when absent. */
  values?: InjectorValues;
  /** The control plane revision written to `istio.io/rev` and the status (default `default`). */
  revision?: string;
  /**
   * istiod's decision for native sidecars (the template's `.NativeSidecars`, see
   * `detectNativeSidecar`); the pod's `sidecar.istio.io/nativeSidecar` annotation wins over it, as
   * in the template. Native: istio-proxy is an init container with restartPolicy Always. Default false.
   */
  nativeSidecar?: boolean;
  /** The pod's namespace when its metadata has none (default `default`). */
  namespace?: string;
  /** The workload the pod belongs to (ISTIO_META_WORKLOAD_NAME / OWNER); derived from the pod when absent. */
  workload?: { kind: string; apiVersion: string; name: string };
}

const STATUS = 'sidecar.istio.io/status';

/** Istio's workload of a pod: a ReplicaSet `x-<hash>` is Deployment `x`; a bare pod is itself. */
function workloadOf(
  pod: KubePod,
  namespace: string,
  given?: RenderOptions['workload'],
): TemplateInput['workload'] {
  if (given) return { ...given, namespace };
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (owner?.kind === 'ReplicaSet' && owner.name) {
    const hash = pod.metadata?.labels?.['pod-template-hash'];
    const name =
      hash && owner.name.endsWith(`-${hash}`) ? owner.name.slice(0, -hash.length - 1) : owner.name;
    return { kind: 'Deployment', apiVersion: 'apps/v1', name, namespace };
  }
  if (owner?.kind && owner.name)
    return { kind: owner.kind, apiVersion: owner.apiVersion ?? 'v1', name: owner.name, namespace };
  const name = pod.metadata?.name ?? pod.metadata?.generateName?.replace(/-$/, '') ?? '';
  return { kind: 'Pod', apiVersion: 'v1', name, namespace };
}

/** The pod's proxy.istio.io/config as Istio's PROXY_CONFIG shows it (compact JSON, `{}` when none). */
function podProxyConfig(annotations: Record<string, string>): Record<string, unknown> {
  const raw = annotations[ANNOTATIONS.proxyConfig];
  if (raw === undefined || raw.trim() === '') return {};
  const doc: unknown = parseYaml(raw);
  return isRecord(doc) ? doc : {};
}

/**
 * The pod the webhook returns for `pod`: istio-init (unless interceptionMode is NONE) and
 * istio-proxy with their args, env, ports, probes and security contexts, the template's volumes,
 * app probes rewritten to the status port, and the labels and annotations (`sidecar.istio.io/status`
 * among them). Annotations win over the values, as in Istio. An already injected pod comes back
 * unchanged. Throws an InjectionError for a bad annotation. The input is never modified.
 */
export function renderInjectedPod(pod: KubePod, opts: RenderOptions = {}): KubePod {
  const out = cloneJson(pod);
  const a = stringMap(pod.metadata?.annotations);
  if (a[STATUS] !== undefined || (pod.spec?.containers ?? []).some((c) => c.name === 'istio-proxy'))
    return out;
  const values = opts.values ?? defaultInjectorValues();
  const mesh = opts.mesh ?? {};
  const revision = opts.revision ?? 'default';
  const native = nativeSidecarFor(a, opts.nativeSidecar ?? false);
  const namespace = pod.metadata?.namespace ?? opts.namespace ?? 'default';
  const labels = stringMap(pod.metadata?.labels);

  const meshMetadata = stringMap(mesh.defaultConfig?.proxyMetadata);
  const injected = injectorArgs(
    { metadata: { annotations: a } },
    {
      ...meshDefaultsFromValues(values),
      interceptionMode: mesh.defaultConfig?.interceptionMode,
      proxyMetadata: meshMetadata,
    },
  );
  // After injectorArgs, which has checked the annotations (a bad proxy.istio.io/config among them).
  const podConfig = podProxyConfig(a);
  const statusPort = Number(a[ANNOTATIONS.statusPort] ?? values.global.proxy.statusPort);
  const proxyMetadata = { ...meshMetadata, ...stringMap(podConfig.proxyMetadata) };
  // The template's $holdProxy: a native sidecar is started (its startup probe passed) before the
  // apps anyway, so the postStart wait is not written.
  const hold =
    ((typeof podConfig.holdApplicationUntilProxyStarts === 'boolean'
      ? podConfig.holdApplicationUntilProxyStarts
      : mesh.defaultConfig?.holdApplicationUntilProxyStarts === true) ||
      values.global.proxy.holdApplicationUntilProxyStarts) &&
    !native;

  let apps: KubeContainer[] = cloneJson(pod.spec?.containers ?? []);
  let probers: string | undefined;
  const rewrite =
    values.sidecarInjectorWebhook.rewriteAppHTTPProbe &&
    a['sidecar.istio.io/rewriteAppHTTPProbers'] !== 'false' &&
    statusPort !== 0;
  if (rewrite) {
    const r = rewriteAppProbes(apps, statusPort);
    apps = r.containers;
    if (Object.keys(r.probers).length) probers = probersJson(r.probers);
  }
  const t: TemplateInput = {
    values,
    annotations: a,
    interceptionMode: injected.interceptionMode,
    initArgs: injected.args,
    proxyMetadata,
    proxyConfigJson: JSON.stringify(podConfig),
    appContainers: pod.spec?.containers ?? [],
    statusPort,
    holdProxy: hold,
    native,
    trustDomain: mesh.trustDomain ?? 'cluster.local',
    workload: workloadOf(pod, namespace, opts.workload),
    ...(probers !== undefined ? { probers } : {}),
  };
  const init = injected.hasInitContainer ? [initContainer(t)] : [];
  const proxy = proxyContainer(t);
  const existingInit = cloneJson(pod.spec?.initContainers ?? []);
  const spec = { ...(out.spec ?? {}) };
  // Istio's reorderPod: a native sidecar comes first, after istio-init, so the pod's own init
  // containers are in the mesh; otherwise istio-init goes last, so they run before the rules.
  spec.initContainers = native ? [...init, proxy, ...existingInit] : [...existingInit, ...init];
  spec.containers = native ? apps : hold ? [proxy, ...apps] : [...apps, proxy];
  const volumes = sidecarVolumes(values);
  spec.volumes = [...(out.spec?.volumes ?? []), ...volumes];
  const pullSecrets = values.global.imagePullSecrets;
  if (pullSecrets.length) {
    const have = new Set((spec.imagePullSecrets ?? []).map((s) => s.name));
    spec.imagePullSecrets = [
      ...(spec.imagePullSecrets ?? []),
      ...pullSecrets.filter((n) => !have.has(n)).map((name) => ({ name })),
    ];
  }
  out.spec = spec;

  const first = apps.find((c) => c.name !== 'istio-proxy')?.name;
  let annotations: Record<string, string> = { ...a, 'istio.io/rev': revision };
  // istio-cni reads the rules' settings from these, as istio-init would from its args.
  if (cniEnabled(values)) Object.assign(annotations, cniAnnotations(a, values, injected.interceptionMode));
  if (first) {
    annotations['kubectl.kubernetes.io/default-container'] ??= first;
    annotations['kubectl.kubernetes.io/default-logs-container'] ??= first;
  }
  // Prometheus merge (mesh enablePrometheusMerge, on by default): Prometheus scrapes the agent,
  // which scrapes the app where the pod's own annotations said (ISTIO_PROMETHEUS_ANNOTATIONS).
  if (statusPort !== 0) {
    const merged = applyPrometheusMerge(annotations, mesh.enablePrometheusMerge !== false, statusPort);
    annotations = merged.annotations;
    if (merged.env !== undefined)
      proxy.env = [...(proxy.env ?? []), { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: merged.env }];
  }
  const initNames = [...init.map((c) => c.name), ...(native ? ['istio-proxy'] : [])];
  annotations[STATUS] = JSON.stringify({
    initContainers: initNames.length ? initNames : null,
    containers: native ? null : ['istio-proxy'],
    volumes: volumes.map((v) => v.name),
    imagePullSecrets: pullSecrets.length ? pullSecrets : null,
    revision,
  });
  const canonicalName =
    labels['service.istio.io/canonical-name'] ??
    labels['app.kubernetes.io/name'] ??
    labels.app ??
    t.workload.name;
  const canonicalRevision =
    labels['service.istio.io/canonical-revision'] ??
    labels['app.kubernetes.io/version'] ??
    labels.version ??
    'latest';
  out.metadata = {
    ...(out.metadata ?? {}),
    annotations,
    labels: {
      ...labels,
      'security.istio.io/tlsMode': labels['security.istio.io/tlsMode'] ?? 'istio',
      'service.istio.io/canonical-name': canonicalName,
      'service.istio.io/canonical-revision': canonicalRevision,
    },
  };
  return out;
}

/**
 * `istioctl kube-inject` of one document: a Pod, or a workload whose pod template is injected
 * (the workload names ISTIO_META_WORKLOAD_NAME and OWNER). Other kinds come back unchanged.
 */
export function renderInjectedWorkload(doc: unknown, opts: RenderOptions = {}): unknown {
  if (!isRecord(doc))
    throw new InjectionError('injection: the document is not a Kubernetes object');
  let found;
  try {
    found = podTemplateOf(doc);
  } catch {
    return cloneJson(doc);
  }
  if (found.kind === 'Pod') return renderInjectedPod(doc as KubePod, opts);
  const meta = isRecord(doc.metadata) ? doc.metadata : {};
  const namespace =
    typeof meta.namespace === 'string' ? meta.namespace : (opts.namespace ?? 'default');
  const template = { ...(found.pod as KubePod) };
  template.metadata = { namespace, ...(template.metadata ?? {}) };
  const injected = renderInjectedPod(template, {
    ...opts,
    namespace,
    workload: opts.workload ?? {
      kind: found.kind,
      apiVersion: String(doc.apiVersion ?? 'apps/v1'),
      name: found.name,
    },
  });
  if (
    injected.metadata &&
    template.metadata.namespace === namespace &&
    !(found.pod as KubePod).metadata?.namespace
  )
    delete injected.metadata.namespace;
  const out = cloneJson(doc) as Record<string, unknown>;
  const path =
    found.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template'] : ['spec', 'template'];
  let at = out;
  for (const seg of path.slice(0, -1)) at = at[seg] as Record<string, unknown>;
  at[path[path.length - 1]] = injected;
  return out;
}

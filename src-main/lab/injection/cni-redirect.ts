// The istio-iptables settings istio-cni's plugin writes for a sidecar pod, read from the pod's annotations and its istio-proxy container.
import { ANNOTATIONS, InjectionError, checkAnnotationValue, invalidAnnotation } from './annotations';
import type { InjectorResult } from './injector';

/** What the plugin reads of a pod (cni/pkg/plugin/kubernetes.go getK8sPodInfo). */
export interface CniPodInfo {
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** Names of every container and init container. */
  containers: string[];
  /** istio-proxy's environment (literal values only, as the plugin reads `e.Value`). */
  proxyEnv: Record<string, string>;
  /** istio-proxy's own securityContext (the pod's is not read). */
  proxyRunAsUser?: number;
  proxyRunAsGroup?: number;
  /** istio-proxy's args[1] after `proxy` (`sidecar`, `router`). */
  proxyType?: string;
}

export interface CniRedirect extends InjectorResult {
  source: 'istio-cni';
  /** Why the plugin leaves the pod alone (no rules at all), as its log says it. */
  excluded?: string;
}

const STATUS = 'sidecar.istio.io/status';
const INJECT = 'sidecar.istio.io/inject';

/** strconv.ParseBool. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** cmdAdd's checks before NewRedirect: the pods the plugin does not touch. */
function exclusion(pod: CniPodInfo): string | undefined {
  if (pod.containers.includes('istio-init')) return 'already injected with istio-init container';
  if (goBool(pod.proxyEnv.DISABLE_ENVOY ?? '') === true) return 'DISABLE_ENVOY on istio-proxy';
  if (!pod.containers.includes('istio-proxy')) return 'it does not have istio-proxy container';
  if (pod.proxyType !== undefined && pod.proxyType !== '' && pod.proxyType !== 'sidecar') return `it has proxy type ${pod.proxyType}`;
  // The sidecar.istio.io/inject label is the newer API and wins over the annotation.
  const inject = pod.labels[INJECT] ?? pod.annotations[INJECT] ?? '';
  if (goBool(inject) === false) return 'inject-disabled annotation';
  if (pod.annotations[STATUS] === undefined) return 'not containing sidecar annotation';
  return undefined;
}

/**
 * NewRedirect then Program (cni/pkg/plugin/sidecar_redirect.go, sidecar_iptables_linux.go): each
 * setting from its annotation, else the plugin's own default (not the injector's values: the
 * template wrote those into the annotations); the inbound exclusions always end with
 * 15020,15021,15090 (deduplicated), the outbound ones default to 15020; the uid and gid are
 * istio-proxy's runAsUser/runAsGroup unless absent or 0; DNS capture, invalid-drop and dual stack
 * follow istio-proxy's ISTIO_META_DNS_CAPTURE, INVALID_DROP and ISTIO_DUAL_STACK. Written as
 * istio-iptables flags so the rules come from the same builder as istio-init's. A value the
 * plugin rejects throws an InjectionError naming the annotation: the pod would not start.
 */
export function cniRedirect(pod: CniPodInfo): CniRedirect {
  const base = { source: 'istio-cni' as const, env: {} };
  const excluded = exclusion(pod);
  if (excluded) return { ...base, hasInitContainer: false, interceptionMode: 'NONE', args: [], excluded };
  const a = pod.annotations;
  const ann = (name: string, fallback: string): string => {
    const v = a[name];
    if (v === undefined) return fallback;
    const problem = checkAnnotationValue(name, v);
    if (problem) throw invalidAnnotation(name, v, problem);
    return v;
  };
  const mode = ann(ANNOTATIONS.interceptionMode, 'REDIRECT');
  if (mode !== 'REDIRECT' && mode !== 'TPROXY')
    throw new InjectionError(`istio-cni: annotation ${ANNOTATIONS.interceptionMode}: interceptionMode invalid: ${mode} (the plugin fails the pod's sandbox)`, ANNOTATIONS.interceptionMode);
  const id = (n: number | undefined): string => (n !== undefined && n !== 0 ? String(n) : '1337');
  let inboundExclude = ann(ANNOTATIONS.excludeInboundPorts, '15020').trim();
  if (inboundExclude !== '' && !inboundExclude.endsWith(',')) inboundExclude += ',';
  inboundExclude = [...new Set(`${inboundExclude}15020,15021,15090`.split(','))].join(',');
  // The deprecated kubevirtInterfaces is read only when reroute-virtual-interfaces is absent.
  const reroute = a[ANNOTATIONS.rerouteVirtualInterfaces] !== undefined ? ann(ANNOTATIONS.rerouteVirtualInterfaces, '') : ann(ANNOTATIONS.kubevirtInterfaces, '');
  // prettier-ignore
  const args = [
    '-p', '15001',
    '-u', id(pod.proxyRunAsUser),
    '-g', id(pod.proxyRunAsGroup),
    '-m', mode,
    '-i', ann(ANNOTATIONS.includeOutboundIPRanges, '*'),
    '-x', ann(ANNOTATIONS.excludeOutboundIPRanges, ''),
    '-b', ann(ANNOTATIONS.includeInboundPorts, '*'),
    '-d', inboundExclude,
    '-o', ann(ANNOTATIONS.excludeOutboundPorts, '15020'),
    '-q', ann(ANNOTATIONS.includeOutboundPorts, ''),
    '-k', reroute,
    '-c', ann(ANNOTATIONS.excludeInterfaces, ''),
  ];
  // A value ParseBool rejects is logged and read as false.
  const on = (name: string): boolean => goBool(pod.proxyEnv[name] ?? '') === true;
  if (on('ISTIO_META_DNS_CAPTURE')) args.push('--redirect-dns', '--capture-all-dns');
  if (on('INVALID_DROP')) args.push('--drop-invalid');
  if (on('ISTIO_DUAL_STACK')) args.push('--dual-stack');
  return { ...base, hasInitContainer: true, interceptionMode: mode, args };
}

const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const strings = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(rec(v)).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, typeof x === 'string' ? x : String(x)]));

/** A pod spec injected in Istio's CNI mode: istio-validation and istio-proxy, and no istio-init (whose rules would be the pod's). */
export function injectedForCni(spec: unknown): boolean {
  const s = rec(spec);
  const names = (list: unknown): string[] => (Array.isArray(list) ? list.map((c) => String(rec(c).name ?? '')) : []);
  const inits = names(s.initContainers);
  const proxy = inits.includes('istio-proxy') || names(s.containers).includes('istio-proxy');
  return proxy && inits.includes('istio-validation') && !inits.includes('istio-init');
}

/** A Kubernetes pod (`kubectl get pod -o yaml`, or a template's metadata and spec) as getK8sPodInfo reads it. */
export function cniPodInfoOf(metadata: unknown, spec: unknown): CniPodInfo {
  const s = rec(spec);
  const all = [...(Array.isArray(s.initContainers) ? s.initContainers : []), ...(Array.isArray(s.containers) ? s.containers : [])].map(rec);
  const info: CniPodInfo = {
    annotations: strings(rec(metadata).annotations),
    labels: strings(rec(metadata).labels),
    containers: all.map((c) => String(c.name ?? '')),
    proxyEnv: {},
  };
  // The last istio-proxy wins, as the plugin's loop over init containers then containers leaves it.
  for (const c of all.filter((x) => x.name === 'istio-proxy')) {
    for (const e of Array.isArray(c.env) ? c.env.map(rec) : []) if (typeof e.name === 'string') info.proxyEnv[e.name] = e.value === undefined || e.value === null ? '' : String(e.value);
    const args = Array.isArray(c.args) ? c.args.map(String) : [];
    if (args.length >= 2 && args[0] === 'proxy') info.proxyType = args[1];
    const sc = rec(c.securityContext);
    if (typeof sc.runAsUser === 'number') info.proxyRunAsUser = sc.runAsUser;
    if (typeof sc.runAsGroup === 'number') info.proxyRunAsGroup = sc.runAsGroup;
  }
  return info;
}

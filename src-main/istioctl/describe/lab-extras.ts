// What `x describe pod` adds in the lab, after istioctl's own lines: the Sidecar resource in scope and how istio-init intercepts the pod's traffic.
import { parseArgs } from '../../../src-pod/istio-iptables/flags';
import type { KubeReader } from '../cluster';
import { isObject } from '../configdump/json';
import { selects, type IstioResource, type Labels } from './routing';

const ROOT_NAMESPACE = 'istio-system';

interface PodShape {
  metadata: { name: string; namespace: string; labels?: Labels };
  spec: { initContainers?: { name: string; args?: string[]; command?: string[] }[] };
}

const selectorOf = (s: IstioResource): Labels | undefined => {
  const ws = s.spec['workloadSelector'];
  const labels = isObject(ws) && isObject(ws['labels']) ? (ws['labels'] as Labels) : undefined;
  return labels && Object.keys(labels).length > 0 ? labels : undefined;
};

/** Istio's choice: a Sidecar selecting the pod in its namespace, else the namespace's default, else the root namespace's. */
export function sidecarInScope(pod: PodShape, inNamespace: IstioResource[], inRoot: IstioResource[]): IstioResource | undefined {
  const labels = pod.metadata.labels ?? {};
  return (
    inNamespace.find((s) => selectorOf(s) && selects(selectorOf(s), labels)) ??
    inNamespace.find((s) => !selectorOf(s)) ??
    inRoot.find((s) => !selectorOf(s))
  );
}

function sidecarLines(sidecar: IstioResource | undefined): string {
  if (!sidecar) return 'Sidecar: none (the proxy is given every Service of the mesh)\n';
  let out = `Sidecar: ${sidecar.metadata.name}.${sidecar.metadata.namespace}\n`;
  const egress = Array.isArray(sidecar.spec['egress']) ? sidecar.spec['egress'] : [];
  const hosts = egress.flatMap((e) => (isObject(e) && Array.isArray(e['hosts']) ? (e['hosts'] as string[]) : []));
  if (hosts.length > 0) out += `   Egress hosts: ${hosts.join(', ')}\n`;
  const ingress = Array.isArray(sidecar.spec['ingress']) ? sidecar.spec['ingress'] : [];
  if (ingress.length > 0) out += `   Ingress listeners: ${ingress.length}\n`;
  const policy = sidecar.spec['outboundTrafficPolicy'];
  if (isObject(policy) && typeof policy['mode'] === 'string') out += `   Outbound traffic policy: ${policy['mode']}\n`;
  return out;
}

/** istio-init's istio-iptables arguments, as the lab's istio-iptables reads them. */
export function interceptionLines(pod: PodShape): string {
  const init = (pod.spec.initContainers ?? []).find((c) => c.name === 'istio-init');
  if (!init) return 'Traffic interception: no istio-init container (the pod\'s traffic is not redirected by it)\n';
  let c;
  try {
    c = parseArgs([...(init.command ?? []), ...(init.args ?? [])].filter((a) => a !== 'istio-iptables' && a !== 'pilot-agent'), {}).config;
  } catch (err) {
    return `Traffic interception: istio-init's arguments do not parse: ${(err as Error).message}\n`;
  }
  const except = (v: string): string => (v ? `, except ${v}` : '');
  let out = `Traffic interception (istio-init, ${c.inboundInterceptionMode}):\n`;
  out += `   Inbound ports: ${c.inboundPortsInclude || 'none'}${c.inboundPortsInclude === '*' ? except(c.inboundPortsExclude) : ''} -> ${c.inboundCapturePort}\n`;
  out += `   Outbound IP ranges: ${c.outboundIpRangesInclude || 'none'}${except(c.outboundIpRangesExclude)} -> ${c.proxyPort}\n`;
  if (c.outboundPortsInclude) out += `   Outbound ports always captured: ${c.outboundPortsInclude}\n`;
  if (c.outboundPortsExclude) out += `   Outbound ports excluded: ${c.outboundPortsExclude}\n`;
  out += `   The proxy's own traffic (uid ${c.proxyUid || '1337'}) is not captured\n`;
  return out;
}

export async function labLines(api: KubeReader, pod: PodShape): Promise<string> {
  const list = async (ns: string): Promise<IstioResource[]> => (await api.getOptional<{ items: IstioResource[] }>(`/apis/networking.istio.io/v1/namespaces/${ns}/sidecars`))?.items ?? [];
  const ns = pod.metadata.namespace;
  const sidecar = sidecarInScope(pod, await list(ns), ns === ROOT_NAMESPACE ? [] : await list(ROOT_NAMESPACE));
  return `--------------------\n${sidecarLines(sidecar)}${interceptionLines(pod)}`;
}

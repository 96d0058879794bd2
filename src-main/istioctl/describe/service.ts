// `istioctl x describe service SVC`: the Service's meshed pods, then what describe pod prints for that Service alone (ports,
// DestinationRules, VirtualServices, from the first ready pod's sidecar) and the gateway line, as istioctl/pkg/describe's service path does.
import { kubeFlags } from '../cluster';
import { ConfigDump } from '../configdump/dump';
import { IstioctlError } from '../errors';
import { flagBool, flagString, parseFlags } from '../flags';
import { GLOBAL_FLAGS } from '../global-flags';
import type { IstioctlContext } from '../proxy-config';
import { describeServices, ingressInfo, items, PodDescriber, type Pod, type Service } from './pod';

/** containerReady: the istio-proxy container's readiness, among containers and init containers (a native sidecar). */
function proxyReady(pod: Pod): boolean | undefined {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return all.find((s) => s.name === 'istio-proxy')?.ready;
}

export async function describeService(args: string[], ctx: IstioctlContext): Promise<number> {
  const p = parseFlags(args, [...GLOBAL_FLAGS, { name: 'ignoreUnmeshed', kind: 'bool' }]);
  if (p.positionals.length !== 1) throw new IstioctlError('expecting service name');
  const cluster = await ctx.cluster(kubeFlags(p));
  const describeNs = flagString(p, 'namespace', cluster.namespace);
  const ignoreUnmeshed = flagBool(p, 'ignoreUnmeshed', false);
  const arg = p.positionals[0];
  // handlers.InferPodInfo: the part after the last dot is the namespace.
  const dot = arg.lastIndexOf('.');
  const [name, ns] = dot > 0 ? [arg.slice(0, dot), arg.slice(dot + 1)] : [arg, describeNs];
  const api = cluster.api;
  const svc = await api.get<Service>(`/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}`);
  const d = new PodDescriber(describeNs);
  const selector = Object.entries(svc.spec.selector ?? {}).map(([k, v]) => `${k}=${v}`);
  const matching: Pod[] = [];
  let selected = 0;
  if (selector.length > 0) {
    const pods = await items<Pod>(api, `/api/v1/namespaces/${encodeURIComponent(ns)}/pods?labelSelector=${encodeURIComponent(selector.join(','))}`);
    selected = pods.length;
    for (const pod of pods) {
      const phase = pod.status?.phase ?? '';
      if (phase !== 'Running') {
        d.out += `   Pod is not Running (${phase})\n`;
        continue;
      }
      const ready = proxyReady(pod);
      if (ready === undefined) d.out += `Pod ${d.kname(pod.metadata)}: no container "istio-proxy" in pod\n`;
      else if (!ready) d.out += `WARNING: Pod ${d.kname(pod.metadata)} Container istio-proxy NOT READY\n`;
      else matching.push(pod);
    }
  }
  if (matching.length === 0) {
    if (selected === 0) d.out += `Service "${d.kname(svc.metadata)}" has no pods.\n`;
    else d.out += `Service "${d.kname(svc.metadata)}" has no Istio pods.  (${selected} pods in service).\nUse \`istioctl kube-inject\` or redeploy with Istio automatic sidecar injection.\n`;
    ctx.out(d.out);
    return 0;
  }
  ctx.out(d.out);
  d.out = '';
  // Described from the first pod's sidecar; subsets are matched against every meshed pod of the Service.
  const pod = matching[0];
  let dump: ConfigDump | undefined;
  try {
    dump = ConfigDump.parse(await cluster.admin.request({ name: pod.metadata.name, namespace: pod.metadata.namespace }, 'GET', 'config_dump'));
  } catch (err) {
    if (!ignoreUnmeshed) throw new IstioctlError(`failed to execute command on sidecar: ${(err as Error).message}`);
  }
  if (dump) await describeServices(d, api, dump, pod, [svc], matching.map((m) => m.metadata.labels ?? {}));
  d.out += await ingressInfo(api);
  ctx.out(d.out);
  return 0;
}

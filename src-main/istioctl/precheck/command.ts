// `istioctl x precheck`: istioctl/pkg/precheck's control-plane checks (unless --skip-controlplane) and its data-plane check (IST0143,
// an app bound to localhost on a port its sidecar receives traffic for, read from Envoy's clusters and `ss -ltnH` in istio-proxy).
import { IstioctlError, NotImplementedError } from '../errors';
import { flagBool, flagString, parseFlags } from '../flags';
import { GLOBAL_FLAGS } from '../global-flags';
import { kubeFlags, type Cluster } from '../cluster';
import type { IstioctlContext } from '../proxy-config';
import type { Json } from '../configdump/json';
import { levelRank, MESSAGES, messageString, sortedDeduped, type Message } from '../analyze/messages';
import type { Resource } from '../analyze/resources';
import { ISTIO_VERSION } from '../version';
import { checkControlPlane } from './control-plane';
import { fromLegacyNetworkingVersion, inboundPorts, localhostPorts, markBindings } from './listeners';

interface PodList {
  items: Json[];
}

function podResource(pod: Json): Resource {
  const meta = (pod['metadata'] ?? {}) as { name?: string; namespace?: string };
  return {
    kind: 'Pod',
    name: meta.name ?? '',
    namespace: meta.namespace ?? '',
    labels: {},
    annotations: {},
    body: pod,
    file: '',
    line: 0,
    lineOf: () => undefined,
  };
}

/** checkListeners: one pod's IST0143 messages; what istioctl prints on stdout and skips when a step fails goes to `out`. */
async function checkPod(cluster: Cluster, pod: Json, out: (text: string) => void): Promise<Message[]> {
  const resource = podResource(pod);
  const ref = { name: resource.name, namespace: resource.namespace };
  let dump: Json;
  try {
    dump = JSON.parse(await cluster.admin.request(ref, 'GET', 'config_dump?resource=dynamic_active_clusters&mask=cluster.name')) as Json;
  } catch (err) {
    out(`failed to get config dump:  ${err instanceof Error ? err.message : String(err)}\n`);
    return [];
  }
  const ports = inboundPorts(dump);
  if (!cluster.exec) throw new NotImplementedError('pods/exec on this cluster');
  let listening: string;
  try {
    listening = (await cluster.exec(ref, 'istio-proxy', 'ss -ltnH')).stdout;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A distroless proxy has no ss: nothing precheck can read, so nothing is said.
    if (message.includes('executable file not found')) return [];
    out(`failed to get listener state:  ${message}\n`);
    return [];
  }
  for (const problem of markBindings(ports, listening)) out(`failed to get parse state:  ${problem}\n`);
  return localhostPorts(ports).map((port) => ({ type: MESSAGES.LocalhostListener, resource, params: [String(port)] }));
}

export async function precheckCommand(args: string[], ctx: IstioctlContext): Promise<number> {
  const p = parseFlags(args, [
    ...GLOBAL_FLAGS,
    { name: 'skip-controlplane', kind: 'bool' },
    { name: 'revision', short: 'r', kind: 'string' },
  ]);
  if (p.positionals.length > 0) throw new IstioctlError(`unknown command "${p.positionals[0]}" for "istioctl experimental precheck"`);
  // --revision is parsed and, as in istioctl 1.22 (whose precheck reads a package variable the flag never sets), changes nothing.
  const cluster = await ctx.cluster(kubeFlags(p));
  const namespace = flagString(p, 'namespace');
  const messages: Message[] = [];
  if (!flagBool(p, 'skip-controlplane', false)) messages.push(...(await checkControlPlane(cluster, namespace, flagString(p, 'istioNamespace', 'istio-system'))));
  const base = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : '/api/v1/pods';
  const selector = `fieldSelector=${encodeURIComponent('status.phase=Running')}&labelSelector=${encodeURIComponent('security.istio.io/tlsMode=istio')}`;
  const pods = (await cluster.api.get<PodList>(`${base}?${selector}`)).items;
  let printed = '';
  const collect = (text: string): void => void (printed += text);
  // istioctl checks up to 25 pods at once; what each failed step prints comes out in the pods' order here.
  for (const batch of chunks(pods.filter(fromLegacyNetworkingVersion), 25)) {
    for (const found of await Promise.all(batch.map((pod) => checkPod(cluster, pod, collect)))) messages.push(...found);
  }
  if (printed) ctx.out(printed);
  const sorted = sortedDeduped(messages);
  if (sorted.length === 0) {
    ctx.err('\u2714 No issues found when checking the cluster. Istio is safe to install or upgrade!\n  To get started, check out https://istio.io/latest/docs/setup/getting-started/\n');
    return 0;
  }
  ctx.out(`${sorted.map(messageString).join('\n')}\n`);
  // Info messages (an alpha annotation) are printed but are no reason to fail.
  if (!sorted.some((m) => levelRank(m.type.level) <= levelRank('Warning'))) return 0;
  const minor = ISTIO_VERSION.split('.').slice(0, 2).join('.');
  throw new IstioctlError(
    `Issues found when checking the cluster. Istio may not be safe to install or upgrade.\nSee https://istio.io/v${minor}/docs/reference/config/analysis for more information about causes and resolutions.`,
  );
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

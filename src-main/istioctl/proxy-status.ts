// `istioctl proxy-status [POD]` (ps): each sidecar's xDS sync state against the lab's control plane, or one sidecar's config diffed with what it would be sent now.
import { ConfigDump, SECTION } from './configdump/dump';
import { isObject, type Json } from './configdump/json';
import { compareDumps, dynamicClusters as dynamicClustersText, dynamicListeners as dynamicListenersText, dynamicRoutes as dynamicRoutesText } from './compare';
import { IstioctlError, NotImplementedError } from './errors';
import { flagString, parseFlags, type Parsed } from './flags';
import { GLOBAL_FLAGS } from './global-flags';
import { tabulate } from './go/tabwriter';
import { kubeFlags, resolvePod, type Cluster, type ControlPlane } from './cluster';
import { parsePodRef, type PodRef } from './proxy-admin';
import type { IstioctlContext } from './proxy-config';
import { BUILD_INFO, ISTIO_VERSION } from './version';
import { formatSyncResponse, syncResponse } from './proxy-status-output';

/** The cluster ID istiod gives proxies of its own cluster (a node's metadata CLUSTER_ID). */
export const CLUSTER_ID = 'Kubernetes';

/** envoy.service.status.v3.ConfigStatus names, as istioctl prints them. */
export type ConfigStatus = 'SYNCED' | 'NOT_SENT' | 'STALE';

export interface SyncRow {
  proxyId: string;
  clusterId: string;
  /** The control plane the proxy is connected to, and its Istio version. */
  istiod: string;
  version: string;
  cds: ConfigStatus;
  lds: ConfigStatus;
  eds: ConfigStatus;
  rds: ConfigStatus;
  ecds: ConfigStatus;
}

const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/**
 * What istiod's syncz says of one proxy: a type the control plane never sent is NOT_SENT; one the
 * proxy holds as the control plane would send it now is SYNCED; any other is STALE. With the
 * control plane's dump for this proxy, "as it would send it" is compared as `ps POD` compares
 * (names sorted, versions and times stripped), so a proxy pushed at another version but with the
 * same content is SYNCED; without it, the proxy's version against the latest pushed. The lab sends
 * no ECDS (no Wasm or extension configs).
 */
export function syncStatus(proxyId: string, dump: ConfigDump, latest: { version: string; expected?: ConfigDump }, istiod: string): SyncRow {
  const clusters = dump.optionalSection(SECTION.clusters);
  const dynamicClusters = list(clusters?.['dynamic_active_clusters']);
  const listeners = dump.optionalSection(SECTION.listeners);
  const routes = list(dump.optionalSection(SECTION.routes)?.['dynamic_route_configs']);
  const expected = latest.expected;
  const status = (present: boolean, version: unknown, text: (d: ConfigDump) => string): ConfigStatus => {
    if (!present) return 'NOT_SENT';
    if (expected) return text(expected) === text(dump) ? 'SYNCED' : 'STALE';
    return version === latest.version ? 'SYNCED' : 'STALE';
  };
  const cds = status(dynamicClusters.length > 0, clusters?.['version_info'], dynamicClustersText);
  const lds = status(list(listeners?.['dynamic_listeners']).length > 0, listeners?.['version_info'], dynamicListenersText);
  // EDS rides on the clusters that ask for it.
  const eds = dynamicClusters.some((c) => isObject(c['cluster']) && c['cluster']['type'] === 'EDS') ? cds : 'NOT_SENT';
  const routeVersion = routes.every((r) => r['version_info'] === routes[0]?.['version_info']) ? routes[0]?.['version_info'] : undefined;
  const rds = status(routes.length > 0, routeVersion, dynamicRoutesText);
  return { proxyId, clusterId: CLUSTER_ID, cds, lds, eds, rds, ecds: 'NOT_SENT', istiod, version: ISTIO_VERSION };
}

/** XdsStatusWriter's table: tabwriter(0, 8, 5, ' ', 0), rows in proxy ID order. */
export function printSyncTable(rows: SyncRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.proxyId < b.proxyId ? -1 : a.proxyId > b.proxyId ? 1 : 0));
  let text = 'NAME\tCLUSTER\tCDS\tLDS\tEDS\tRDS\tECDS\tISTIOD\tVERSION\n';
  for (const r of sorted) text += `${r.proxyId}\t${r.clusterId}\t${r.cds}\t${r.lds}\t${r.eds}\t${r.rds}\t${r.ecds}\t${r.istiod}\t${r.version}\n`;
  return tabulate(text, 0, 8, 5, ' ', 0);
}

interface PodItem {
  metadata: { name: string; namespace: string };
  spec?: { containers?: { name: string }[]; initContainers?: { name: string; restartPolicy?: string }[] };
  status?: { phase?: string };
}

/** Pods with an istio-proxy container (or native sidecar) that run: the proxies istiod would have connected. */
export function proxyPods(items: PodItem[]): PodRef[] {
  return items
    .filter((p) => p.status?.phase === 'Running')
    .filter((p) => (p.spec?.containers ?? []).some((c) => c.name === 'istio-proxy') || (p.spec?.initContainers ?? []).some((c) => c.name === 'istio-proxy' && c.restartPolicy === 'Always'))
    .map((p) => ({ name: p.metadata.name, namespace: p.metadata.namespace }));
}

function needControlPlane(cluster: Cluster): ControlPlane {
  // istioctl asks istiod over xDS; only a lab's kubeconfig comes with the lab as the control plane.
  if (!cluster.controlPlane) throw new IstioctlError('unable to find any Istiod instances: proxy-status needs a lab\'s kubeconfig (context sidecar-lab-<lab>)');
  return cluster.controlPlane;
}

async function allProxies(ctx: IstioctlContext, cluster: Cluster, p: Parsed, format: 'table' | 'json' | 'yaml'): Promise<number> {
  const control = needControlPlane(cluster);
  const ns = flagString(p, 'namespace');
  const path = ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/pods` : '/api/v1/pods';
  const pods = proxyPods((await cluster.api.get<{ items: PodItem[] }>(path)).items);
  const version = await control.version();
  const rows: SyncRow[] = [];
  for (const pod of pods) {
    const proxyId = `${pod.name}.${pod.namespace}`;
    try {
      const dump = ConfigDump.parse(await cluster.admin.request(pod, 'GET', 'config_dump'));
      // A pod the lab's plan does not know (none should remain) is judged by its version alone.
      const expected = await control.expectedDump(pod).then((d) => ConfigDump.parse(JSON.stringify(d)), () => undefined);
      rows.push(syncStatus(proxyId, dump, { version, ...(expected ? { expected } : {}) }, control.id));
    } catch (err) {
      // istiod would list a proxy it lost; the lab cannot ask a proxy it cannot reach.
      ctx.err(`${proxyId}: ${(err as Error).message}\n`);
    }
  }
  ctx.out(format === 'table' ? printSyncTable(rows) : formatSyncResponse(syncResponse(rows, version, control.id, BUILD_INFO), format));
  return 0;
}

async function oneProxy(ctx: IstioctlContext, cluster: Cluster, p: Parsed): Promise<number> {
  const control = needControlPlane(cluster);
  const pod = await resolvePod(cluster.api, parsePodRef(p.positionals[0], flagString(p, 'namespace', cluster.namespace)));
  const file = flagString(p, 'file');
  let envoy: string;
  if (file !== '') {
    try {
      envoy = ctx.readFile(file);
    } catch (err) {
      throw new IstioctlError(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
  } else {
    try {
      envoy = await cluster.admin.request(pod, 'GET', 'config_dump');
    } catch (err) {
      throw new IstioctlError(`could not contact sidecar: ${(err as Error).message}`);
    }
  }
  const expected = await control.expectedDump(pod);
  ctx.out(compareDumps(ConfigDump.parse(JSON.stringify(expected)), ConfigDump.parse(envoy)));
  return 0;
}

export async function proxyStatus(args: string[], ctx: IstioctlContext): Promise<number> {
  const p = parseFlags(args, [
    ...GLOBAL_FLAGS,
    { name: 'file', short: 'f', kind: 'string' },
    { name: 'revision', short: 'r', kind: 'string' },
    { name: 'istiodLabelSelector', kind: 'string', unimplemented: true },
    { name: 'xds-address', kind: 'string', unimplemented: true },
    { name: 'output', short: 'o', kind: 'string' },
  ]);
  const output = flagString(p, 'output');
  if (output !== '' && output !== 'short' && output !== 'json' && output !== 'yaml') throw new NotImplementedError(`proxy-status -o ${output}`, 'it prints the table, json or yaml');
  if (p.positionals.length > 1) throw new IstioctlError(`accepts at most 1 arg(s), received ${p.positionals.length}`);
  const cluster = await ctx.cluster(kubeFlags(p));
  // The kube client of a revision finds only istiod pods labelled istio.io/rev=<revision>: the lab's control plane is the default revision.
  const revision = flagString(p, 'revision');
  if (revision !== '' && revision !== 'default') throw new IstioctlError('unable to find any Istiod instances');
  if (p.positionals.length === 1) return oneProxy(ctx, cluster, p);
  if (flagString(p, 'file') !== '') throw new IstioctlError('--file can only be used when a pod is specified');
  return allProxies(ctx, cluster, p, output === 'json' || output === 'yaml' ? output : 'table');
}

// A customer's Envoy config_dump against the lab's proxy's, listener by listener, cluster by cluster, route by route and endpoint by endpoint, read as istioctl reads them.
import { clusters, clusterType } from '../../istioctl/configdump/cluster';
import { ConfigDump, SECTION } from '../../istioctl/configdump/dump';
import { describeChainMatch, filterChains, filterDestination, listenerAddress, listenerPort, listeners, listenerType } from '../../istioctl/configdump/listener';
import { arr, field, obj, str, type Json } from '../../istioctl/configdump/json';
import { IstioctlError } from '../../istioctl/errors';
import { type AddressNames, renamed } from './address-names';
import { diffEndpoints, diffRoutes, nameRouteDomains } from './config-diff-routes';
import { DumpError } from './read-dump';

export type { AddressNames } from './address-names';

interface Chain {
  match: string;
  destination: string;
  /** filter_chain_match.destination_port, when the chain matches on one. */
  port?: number;
}

interface ListenerView {
  type: string;
  chains: Chain[];
}

export interface ConfigDumpDiff {
  equal: boolean;
  /** One line per difference, as `sidecar-lab diff` prints them. */
  lines: string[];
  text: string;
}

/** `outbound|53||kube-dns.kube-system.svc.cluster.local` → the Service's host. */
const OUTBOUND_CLUSTER = /^Cluster: outbound\|\d+\|[^|]*\|(.+)$/;

/**
 * The names a dump gives its own addresses: the proxy's pod IPs (bootstrap INSTANCE_IPS) are `pod`;
 * a listener bound to a Service's ClusterIP (istiod's `<ClusterIP>_<port>` TCP listeners) is named by
 * the host of the outbound cluster its chains go to. Both sides name their own, so the two compare.
 */
export function addressNames(dump: ConfigDump): AddressNames {
  const names: AddressNames = new Map();
  const boot = dump.optionalSection(SECTION.bootstrap);
  const ips = str(obj(obj(obj(boot, 'bootstrap'), 'node'), 'metadata'), 'INSTANCE_IPS');
  for (const ip of ips.split(',').filter(Boolean)) names.set(ip.trim(), 'pod');
  let all: Json[];
  try {
    all = listeners(dump);
  } catch {
    all = [];
  }
  for (const l of all) {
    const address = listenerAddress(l);
    if (!/^(?:\d{1,3}\.){3}\d{1,3}$/.test(address) || address === '0.0.0.0' || names.has(address)) continue;
    for (const chain of filterChains(l)) {
      const host = OUTBOUND_CLUSTER.exec(filterDestination(arr(chain, 'filters')))?.[1];
      if (host) {
        names.set(address, host);
        break;
      }
    }
  }
  nameRouteDomains(dump, names);
  return names;
}

/** A listener as both sides can name it: its name, or address_port for an unnamed one, with known addresses named. */
function listenerKey(l: Json, names: AddressNames): string {
  const name = str(l, 'name') || `${listenerAddress(l)}_${listenerPort(l)}`;
  return renamed(name, names);
}

function listenerView(l: Json, names: AddressNames): ListenerView {
  const chains = filterChains(l).map((chain): Chain => {
    const m = field(chain, 'filter_chain_match');
    const port = field(m, 'destination_port');
    return {
      match: renamed(describeChainMatch(m), names),
      destination: renamed(filterDestination(arr(chain, 'filters')), names),
      ...(port !== undefined && port !== null ? { port: Number(port) } : {}),
    };
  });
  return { type: listenerType(l), chains };
}

function listenerViews(dump: ConfigDump, names: AddressNames, label: string): Map<string, ListenerView> {
  let all: Json[];
  try {
    all = listeners(dump);
  } catch (e) {
    if (e instanceof IstioctlError) throw new DumpError(`diff: ${label}: ${e.message}`);
    throw e;
  }
  const out = new Map<string, ListenerView>();
  for (const l of all) out.set(listenerKey(l, names), listenerView(l, names));
  return out;
}

function clusterTypes(dump: ConfigDump, label: string): Map<string, string> {
  try {
    return new Map(clusters(dump).map((c) => [str(c, 'name'), clusterType(c)]));
  } catch (e) {
    if (e instanceof IstioctlError) throw new DumpError(`diff: ${label}: ${e.message}`);
    throw e;
  }
}

const chainText = (c: Chain): string => `${c.port !== undefined ? `destination port ${c.port} ` : ''}(${c.match}) -> ${c.destination}`;

/** Chains compared by their match: one only on a side is missing or extra; the same match with another destination differs. */
function chainLines(key: string, a: Chain[], b: Chain[], labels: [string, string]): string[] {
  const out: string[] = [];
  const byMatch = (cs: Chain[]) => {
    const m = new Map<string, Chain[]>();
    for (const c of cs) m.set(c.match, [...(m.get(c.match) ?? []), c]);
    return m;
  };
  const ma = byMatch(a);
  const mb = byMatch(b);
  for (const [match, ca] of ma) {
    const cb = mb.get(match) ?? [];
    const da = ca.map((c) => c.destination).sort();
    const db = cb.map((c) => c.destination).sort();
    if (cb.length === 0) {
      for (const c of ca) out.push(`- listener ${key}: filter chain ${chainText(c)} only in ${labels[0]}`);
    } else if (da.join('\n') !== db.join('\n')) {
      out.push(`~ listener ${key}: filter chain (${match}) goes to ${da.join(', ')} in ${labels[0]}, to ${db.join(', ')} in ${labels[1]}`);
    }
  }
  for (const [match, cb] of mb) {
    if (ma.has(match)) continue;
    for (const c of cb) out.push(`+ listener ${key}: filter chain ${chainText(c)} only in ${labels[1]}`);
  }
  return out;
}

/**
 * Every listener and cluster of `a` (the customer's) against `b` (the lab's): listeners by name
 * (ClusterIPs and the pod IP named through `names`), their type (istioctl's HTTP/TCP) and their
 * filter chains by match; clusters by name and discovery type. Lines start `-` (only in a), `+`
 * (only in b) or `~` (in both, different).
 */
export function diffConfigDumps(
  a: ConfigDump,
  b: ConfigDump,
  names: [AddressNames, AddressNames],
  labels: [string, string],
): ConfigDumpDiff {
  const lines: string[] = [];
  const la = listenerViews(a, names[0], labels[0]);
  const lb = listenerViews(b, names[1], labels[1]);
  for (const [key, va] of [...la].sort(([x], [y]) => x.localeCompare(y))) {
    const vb = lb.get(key);
    if (!vb) {
      lines.push(`- listener ${key} (${va.type}, ${va.chains.length} filter chain${va.chains.length === 1 ? '' : 's'}) only in ${labels[0]}`);
      continue;
    }
    if (va.type !== vb.type) lines.push(`~ listener ${key}: type ${va.type} in ${labels[0]}, ${vb.type} in ${labels[1]}`);
    lines.push(...chainLines(key, va.chains, vb.chains, labels));
  }
  for (const [key, vb] of [...lb].sort(([x], [y]) => x.localeCompare(y))) {
    if (!la.has(key)) lines.push(`+ listener ${key} (${vb.type}, ${vb.chains.length} filter chain${vb.chains.length === 1 ? '' : 's'}) only in ${labels[1]}`);
  }
  const ca = clusterTypes(a, labels[0]);
  const cb = clusterTypes(b, labels[1]);
  for (const [name, type] of [...ca].sort(([x], [y]) => x.localeCompare(y))) {
    const other = cb.get(name);
    if (other === undefined) lines.push(`- cluster ${name} (${type}) only in ${labels[0]}`);
    else if (other !== type) lines.push(`~ cluster ${name}: type ${type} in ${labels[0]}, ${other} in ${labels[1]}`);
  }
  for (const [name, type] of [...cb].sort(([x], [y]) => x.localeCompare(y))) {
    if (!ca.has(name)) lines.push(`+ cluster ${name} (${type}) only in ${labels[1]}`);
  }
  lines.push(...diffRoutes(a, b, names, labels));
  const endpoints = diffEndpoints(a, b, names, labels);
  lines.push(...endpoints.lines);
  const what = endpoints.compared ? 'listeners, clusters, routes and endpoints' : 'listeners, clusters and routes';
  const note = endpoints.note ? `${endpoints.note}\n` : '';
  const text = lines.length === 0
    ? `No differences in ${what} between ${labels[0]} and ${labels[1]}.\n${note}`
    : `Differences in ${what} (- only in ${labels[0]}, + only in ${labels[1]}, ~ in both, different):\n${lines.join('\n')}\n${note}`;
  return { equal: lines.length === 0, lines, text };
}

/** A config_dump file: Envoy's `/config_dump` body, or `istioctl proxy-config all -o json` (the same document). */
export function readConfigDump(path: string, text: string): ConfigDump {
  try {
    return ConfigDump.parse(text);
  } catch (e) {
    if (e instanceof IstioctlError) throw new DumpError(`diff: ${path}: ${e.message}`);
    throw e;
  }
}

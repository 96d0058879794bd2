// Route configurations and EDS endpoints of two config_dumps compared: route configs by name, virtual hosts by name and domains, routes by match; endpoints per cluster, their addresses named.
import { describeMatch } from '../../istioctl/configdump/describe';
import { SECTION, type ConfigDump } from '../../istioctl/configdump/dump';
import { healthStatus } from '../../istioctl/configdump/endpoint';
import { arr, field, isObject, maybeObj, num, obj, str, type Json } from '../../istioctl/configdump/json';
import { type AddressNames, renamed } from './address-names';

interface RouteView {
  match: string;
  action: string;
}

interface VirtualHostView {
  domains: string[];
  routes: RouteView[];
}

/** Keys made unique in order: a second `local_route` is `local_route#2` on both sides. */
function uniqueKeys<T>(items: T[], key: (t: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const it of items) {
    const k = key(it);
    let unique = k;
    for (let n = 2; out.has(unique); n++) unique = `${k}#${n}`;
    out.set(unique, it);
  }
  return out;
}

const sorted = <T>(m: Map<string, T>): [string, T][] => [...m].sort(([x], [y]) => x.localeCompare(y));

/** Every route configuration, dynamic then static, in the dump's order; none when the dump has no route section. */
function routeConfigs(dump: ConfigDump): Json[] {
  const section = dump.optionalSection(SECTION.routes);
  if (!section) return [];
  return ['dynamic_route_configs', 'static_route_configs'].flatMap((k) => arr(section, k).flatMap((r): Json[] => {
    const rc = maybeObj(r, 'route_config');
    return rc ? [rc] : [];
  }));
}

/** A route's match as istioctl shows the path (`/*`, `/exact`, `regex R`), then its header and query matchers. */
function matchText(match: Json, names: AddressNames): string {
  const parts = [describeMatch(match) || '(any path)'];
  for (const h of arr(match, 'headers')) {
    const { name, ...rest } = h as Json;
    parts.push(`header ${String(name)} ${JSON.stringify(rest)}`);
  }
  for (const q of arr(match, 'query_parameters')) {
    const { name, ...rest } = q as Json;
    parts.push(`query ${String(name)} ${JSON.stringify(rest)}`);
  }
  return renamed(parts.join(' '), names);
}

/** Where a route sends a request: a cluster, weighted clusters, a header's cluster, a redirect or a direct response. */
function actionText(route: Json, names: AddressNames): string {
  const r = maybeObj(route, 'route');
  let text = 'no action';
  if (r) {
    const weighted = maybeObj(r, 'weighted_clusters');
    if (str(r, 'cluster')) text = `cluster ${str(r, 'cluster')}`;
    else if (weighted) text = `weighted ${arr(weighted, 'clusters').map((c) => `${str(c, 'name')} ${num(c, 'weight')}`).join(', ')}`;
    else if (str(r, 'cluster_header')) text = `cluster from header ${str(r, 'cluster_header')}`;
    else text = 'route';
  } else if (isObject(field(route, 'redirect'))) text = `redirect ${JSON.stringify(field(route, 'redirect'))}`;
  else if (isObject(field(route, 'direct_response'))) text = `direct response ${num(obj(route, 'direct_response'), 'status')}`;
  else if (field(route, 'non_forwarding_action') !== undefined) text = 'non-forwarding action';
  return renamed(text, names);
}

function routeViews(dump: ConfigDump, names: AddressNames): Map<string, Map<string, VirtualHostView>> {
  const configs = uniqueKeys(routeConfigs(dump), (rc) => renamed(str(rc, 'name'), names));
  const out = new Map<string, Map<string, VirtualHostView>>();
  for (const [key, rc] of configs) {
    const vhosts = uniqueKeys(arr(rc, 'virtual_hosts').filter(isObject), (vh) => renamed(str(vh, 'name'), names));
    const views = new Map<string, VirtualHostView>();
    for (const [vk, vh] of vhosts) {
      views.set(vk, {
        domains: [...new Set(arr(vh, 'domains').map((d) => renamed(String(d), names)))].sort(),
        routes: arr(vh, 'routes').filter(isObject).map((r) => ({ match: matchText(obj(r, 'match'), names), action: actionText(r, names) })),
      });
    }
    out.set(key, views);
  }
  return out;
}

/** Routes compared by match, as listener chains are: one only on a side, or the same match going elsewhere; then their order, which decides the first match. */
function routeLines(where: string, a: RouteView[], b: RouteView[], labels: [string, string]): string[] {
  const out: string[] = [];
  const byMatch = (rs: RouteView[]) => {
    const m = new Map<string, string[]>();
    for (const r of rs) m.set(r.match, [...(m.get(r.match) ?? []), r.action]);
    return m;
  };
  const ma = byMatch(a);
  const mb = byMatch(b);
  for (const [match, actions] of ma) {
    const other = mb.get(match);
    if (!other) for (const act of actions) out.push(`- ${where}: route ${match} -> ${act} only in ${labels[0]}`);
    else if (actions.join('\n') !== other.join('\n')) out.push(`~ ${where}: route ${match} goes to ${actions.join(', ')} in ${labels[0]}, to ${other.join(', ')} in ${labels[1]}`);
  }
  for (const [match, actions] of mb) if (!ma.has(match)) for (const act of actions) out.push(`+ ${where}: route ${match} -> ${act} only in ${labels[1]}`);
  const order = (rs: RouteView[], other: Map<string, string[]>) => [...new Set(rs.map((r) => r.match))].filter((m) => other.has(m));
  if (out.length === 0 && order(a, mb).join('\n') !== order(b, ma).join('\n')) out.push(`~ ${where}: the same routes in a different order (the first match wins)`);
  return out;
}

/**
 * Every route configuration of `a` against `b`: by name, their virtual hosts by name and domains
 * (ClusterIPs named), each virtual host's routes by match and where they go.
 */
export function diffRoutes(a: ConfigDump, b: ConfigDump, names: [AddressNames, AddressNames], labels: [string, string]): string[] {
  const lines: string[] = [];
  const ra = routeViews(a, names[0]);
  const rb = routeViews(b, names[1]);
  for (const [name, va] of sorted(ra)) {
    const vb = rb.get(name);
    if (!vb) {
      lines.push(`- route config ${name} (${va.size} virtual host${va.size === 1 ? '' : 's'}) only in ${labels[0]}`);
      continue;
    }
    for (const [vh, ha] of sorted(va)) {
      const hb = vb.get(vh);
      const where = `route config ${name}: virtual host ${vh}`;
      if (!hb) {
        lines.push(`- ${where} (${ha.domains.join(', ')}) only in ${labels[0]}`);
        continue;
      }
      if (ha.domains.join(',') !== hb.domains.join(',')) lines.push(`~ ${where}: domains ${ha.domains.join(', ')} in ${labels[0]}, ${hb.domains.join(', ')} in ${labels[1]}`);
      lines.push(...routeLines(where, ha.routes, hb.routes, labels));
    }
    for (const [vh, hb] of sorted(vb)) if (!va.has(vh)) lines.push(`+ route config ${name}: virtual host ${vh} (${hb.domains.join(', ')}) only in ${labels[1]}`);
  }
  for (const [name, vb] of sorted(rb)) if (!ra.has(name)) lines.push(`+ route config ${name} (${vb.size} virtual host${vb.size === 1 ? '' : 's'}) only in ${labels[1]}`);
  return lines;
}

const OUTBOUND = /^outbound\|\d+\|[^|]*\|(.+)$/;

/** An endpoint's address as both sides can name it: a known address by its name, else a Service's endpoint by its host (pod IPs differ). */
function endpointKey(lbEndpoint: unknown, cluster: string, names: AddressNames): string {
  const address = obj(obj(lbEndpoint, 'endpoint'), 'address');
  const socket = maybeObj(address, 'socket_address');
  if (!socket) {
    const internal = maybeObj(address, 'envoy_internal_address');
    return renamed(internal ? `envoy://${str(internal, 'server_listener_name')}/${str(internal, 'endpoint_id')}` : JSON.stringify(address), names);
  }
  const ip = str(socket, 'address');
  const port = num(socket, 'port_value');
  const named = names.get(ip);
  if (named !== undefined) return `<${named}>:${port}`;
  const host = OUTBOUND.exec(cluster)?.[1];
  return host ? `<an endpoint of ${host}>:${port}` : `${ip}:${port}`;
}

/** Per cluster, its endpoints' named addresses with their health, in the dump's order; undefined without EDS. */
function endpointViews(dump: ConfigDump, names: AddressNames): Map<string, Map<string, string[]>> | undefined {
  const section = dump.optionalSection(SECTION.endpoints);
  if (!section) return undefined;
  const out = new Map<string, Map<string, string[]>>();
  for (const e of ['dynamic_endpoint_configs', 'static_endpoint_configs'].flatMap((k) => arr(section, k))) {
    const cla = obj(e, 'endpoint_config');
    const cluster = str(cla, 'cluster_name');
    const eps = out.get(cluster) ?? new Map<string, string[]>();
    for (const llb of arr(cla, 'endpoints')) {
      for (const ep of arr(llb, 'lb_endpoints')) {
        const key = endpointKey(ep, cluster, names);
        eps.set(key, [...(eps.get(key) ?? []), healthStatus(field(ep, 'health_status'))]);
      }
    }
    out.set(cluster, eps);
  }
  return out;
}

const count = (eps: Map<string, string[]>): number => [...eps.values()].reduce((n, s) => n + s.length, 0);

/**
 * The endpoints of every cluster (ClusterLoadAssignments, present when the dump was taken with
 * `?include_eds`): how many each named address has and their health. Only when both dumps include
 * EDS; otherwise one note says why endpoints were not compared.
 */
export function diffEndpoints(a: ConfigDump, b: ConfigDump, names: [AddressNames, AddressNames], labels: [string, string]): { lines: string[]; compared: boolean; note?: string } {
  const ea = endpointViews(a, names[0]);
  const eb = endpointViews(b, names[1]);
  if (!ea && !eb) return { lines: [], compared: false };
  if (!ea || !eb)
    return { lines: [], compared: false, note: `Endpoints not compared: only ${ea ? labels[0] : labels[1]} includes EDS (take both with /config_dump?include_eds).` };
  const lines: string[] = [];
  for (const [cluster, pa] of sorted(ea)) {
    const pb = eb.get(cluster);
    if (!pb) {
      lines.push(`- endpoints of cluster ${cluster} (${count(pa)}) only in ${labels[0]}`);
      continue;
    }
    for (const [key, sa] of sorted(pa)) {
      const sb = pb.get(key) ?? [];
      if (sb.length === 0) lines.push(`- endpoint ${key} of cluster ${cluster} (${sa.join(', ')}) only in ${labels[0]}`);
      else if (sa.length !== sb.length) lines.push(`~ endpoint ${key} of cluster ${cluster}: ${sa.length} in ${labels[0]}, ${sb.length} in ${labels[1]}`);
      else if ([...sa].sort().join() !== [...sb].sort().join()) lines.push(`~ endpoint ${key} of cluster ${cluster}: ${sa.join(', ')} in ${labels[0]}, ${sb.join(', ')} in ${labels[1]}`);
    }
    for (const [key, sb] of sorted(pb)) if (!pa.has(key)) lines.push(`+ endpoint ${key} of cluster ${cluster} (${sb.join(', ')}) only in ${labels[1]}`);
  }
  for (const [cluster, pb] of sorted(eb)) if (!ea.has(cluster)) lines.push(`+ endpoints of cluster ${cluster} (${count(pb)}) only in ${labels[1]}`);
  return { lines, compared: true };
}

/** Route domains that are addresses (a Service's ClusterIP, `10.96.0.101` or `10.96.0.101:80`) named by their virtual host's first host name. */
export function nameRouteDomains(dump: ConfigDump, names: AddressNames): void {
  const IPV4 = /^((?:\d{1,3}\.){3}\d{1,3})(?::\d+)?$/;
  for (const rc of routeConfigs(dump)) {
    for (const vh of arr(rc, 'virtual_hosts')) {
      const domains = arr(vh, 'domains').map(String);
      const host = domains.find((d) => !IPV4.test(d) && d !== '*')?.replace(/:\d+$/, '');
      if (!host) continue;
      for (const d of domains) {
        const ip = IPV4.exec(d)?.[1];
        if (ip && !names.has(ip)) names.set(ip, host);
      }
    }
  }
}

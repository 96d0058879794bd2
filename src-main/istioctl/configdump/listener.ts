// `proxy-config listener`: istioctl's listener table (istioctl/pkg/writer/envoy/configdump/listener.go) from an Envoy config dump.
import { IstioctlError } from '../errors';
import { goSortSlice } from '../go/sort';
import { tabulate } from '../go/tabwriter';
import { SECTION, type ConfigDump } from './dump';
import { describeMatch } from './describe';
import { arr, field, maybeObj, num, obj, str, type Json } from './json';

const HTTP_CONNECTION_MANAGER = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
const BLACK_HOLE_CLUSTER = 'BlackHoleCluster';

export interface ListenerFilter {
  address: string;
  port: number;
  type: string;
  verbose: boolean;
}

/** Dynamic (active) listeners first, then static ones, as istioctl collects them; none at all is an error. */
export function listeners(dump: ConfigDump): Json[] {
  let section: Json;
  try {
    section = dump.section(SECTION.listeners);
  } catch (err) {
    throw new IstioctlError(`listener dump: ${(err as Error).message}`);
  }
  const out: Json[] = [];
  for (const l of arr(section, 'dynamic_listeners')) {
    const active = maybeObj(l, 'active_state');
    const listener = active && maybeObj(active, 'listener');
    if (listener) out.push(listener);
  }
  for (const l of arr(section, 'static_listeners')) {
    const listener = maybeObj(l, 'listener');
    if (listener) out.push(listener);
  }
  if (out.length === 0) throw new IstioctlError('no listeners found');
  return out;
}

export function filterChains(l: Json): unknown[] {
  const chains = [...arr(l, 'filter_chains')];
  const def = maybeObj(l, 'default_filter_chain');
  if (def) chains.push(def);
  return chains;
}

/** A TCP proxy to the BlackHoleCluster does not make a listener TCP (Go checks the filter's raw bytes). */
function isBlackHole(filter: unknown): boolean {
  return JSON.stringify(field(filter, 'typed_config') ?? null).includes(BLACK_HOLE_CLUSTER);
}

export function listenerType(l: Json): string {
  let nHTTP = 0;
  let nTCP = 0;
  for (const chain of filterChains(l)) {
    for (const f of arr(chain, 'filters')) {
      const name = str(f, 'name');
      if (name === HTTP_CONNECTION_MANAGER) nHTTP++;
      else if (name === TCP_PROXY && !isBlackHole(f)) nTCP++;
    }
  }
  if (nHTTP > 0) return nTCP === 0 ? 'HTTP' : 'HTTP+TCP';
  return nTCP > 0 ? 'TCP' : 'UNKNOWN';
}

export function listenerAddress(l: Json): string {
  const address = obj(l, 'address');
  const socket = maybeObj(address, 'socket_address');
  if (socket) return str(socket, 'address');
  const pipe = maybeObj(address, 'pipe');
  return pipe ? str(pipe, 'path') : '';
}

function additionalAddresses(l: Json): string[] {
  return arr(l, 'additional_addresses').map((a) => str(obj(obj(a, 'address'), 'socket_address'), 'address'));
}

export function listenerPort(l: Json): number {
  return num(obj(obj(l, 'address'), 'socket_address'), 'port_value');
}

function verify(f: ListenerFilter, l: Json): boolean {
  if (f.address === '' && f.port === 0 && f.type === '') return true;
  if (f.address !== '') {
    const all = [...additionalAddresses(l), listenerAddress(l)];
    if (!all.some((a) => a.toLowerCase() === f.address.toLowerCase())) return false;
  }
  if (f.port !== 0 && listenerPort(l) !== f.port) return false;
  if (f.type !== '' && listenerType(l).toLowerCase() !== f.type.toLowerCase()) return false;
  return true;
}

export function filterListeners(dump: ConfigDump, f: ListenerFilter): Json[] {
  return listeners(dump).filter((l) => verify(f, l));
}

// Named ALPN sets istioctl recognises (only one can equal a given list, so Go's map order does not matter).
const PROTOCOL_DESCRIPTIONS: [string, string[]][] = [
  ['App: HTTP TLS', ['http/1.0', 'http/1.1', 'h2c', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['App: Istio HTTP Plain', ['istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['App: TCP TLS', ['istio-peer-exchange', 'istio']],
  ['App: HTTP', ['http/1.0', 'http/1.1', 'h2c']],
];

export function describeChainMatch(match: unknown): string {
  const descrs: string[] = [];
  const serverNames = arr(match, 'server_names').map(String);
  if (serverNames.length > 0) descrs.push(`SNI: ${serverNames.join(',')}`);
  const transport = str(match, 'transport_protocol');
  if (transport !== '') descrs.push(`Trans: ${transport}`);
  const alpns = arr(match, 'application_protocols').map(String);
  if (alpns.length > 0) {
    const known = PROTOCOL_DESCRIPTIONS.find(([, p]) => p.length === alpns.length && p.every((x, i) => x === alpns[i]));
    descrs.push(known ? known[0] : `App: ${alpns.join(',')}`);
  }
  const destPort = field(match, 'destination_port');
  const port = destPort !== undefined && destPort !== null ? `:${typeof destPort === 'number' ? destPort : Number(destPort) || 0}` : '';
  const ranges = arr(match, 'prefix_ranges');
  if (ranges.length > 0) {
    const pf = ranges.map((r) => `${str(r, 'address_prefix')}/${num(r, 'prefix_len')}`);
    descrs.push(`Addr: ${pf.join(',')}${port}`);
  } else if (port !== '') {
    descrs.push(`Addr: *${port}`);
  }
  return descrs.length === 0 ? 'ALL' : descrs.join('; ');
}

function clusterLabel(cluster: string): string {
  return cluster.includes('Cluster') ? cluster : `Cluster: ${cluster}`;
}

function matchAllCluster(routeConfig: Json): string {
  const vhosts = arr(routeConfig, 'virtual_hosts');
  if (vhosts.length !== 1) return '';
  const vh = vhosts[0];
  const domains = arr(vh, 'domains');
  if (domains.length !== 1 || domains[0] !== '*') return '';
  const routes = arr(vh, 'routes');
  if (routes.length !== 1) return '';
  const r = routes[0];
  if (str(obj(r, 'match'), 'prefix') !== '/') return '';
  const action = maybeObj(r, 'route');
  if (!action || typeof action.cluster !== 'string') return '';
  return clusterLabel(action.cluster);
}

function describeDomains(vh: unknown): string {
  const domains = arr(vh, 'domains').map(String);
  if (domains.length === 1 && domains[0] === '*') return '';
  return domains.join('/');
}

function describeRouteConfig(routeConfig: Json): string {
  const cluster = matchAllCluster(routeConfig);
  if (cluster !== '') return cluster;
  const vhosts = arr(routeConfig, 'virtual_hosts').map((vh) => {
    const routes = arr(vh, 'routes').map((r) => describeMatch(obj(r, 'match'))).join(', ');
    const domains = describeDomains(vh);
    return domains === '' ? routes : `${domains} ${routes}`;
  });
  return `Inline Route: ${vhosts.join('; ')}`;
}

export function filterDestination(filters: unknown[]): string {
  for (const f of filters) {
    const name = str(f, 'name');
    const config = obj(f, 'typed_config');
    if (name === HTTP_CONNECTION_MANAGER) {
      const inline = maybeObj(config, 'route_config');
      if (inline) return describeRouteConfig(inline);
      const rds = str(obj(config, 'rds'), 'route_config_name');
      if (rds !== '') return `Route: ${rds}`;
      return 'HTTP';
    }
    if (name === TCP_PROXY && !isBlackHole(f)) return clusterLabel(str(config, 'cluster'));
  }
  return 'Non-HTTP/Non-TCP';
}

interface ChainRow {
  match: string;
  destination: string;
}

function chainRows(l: Json): ChainRow[] {
  return filterChains(l).map((chain) => ({
    match: describeChainMatch(field(chain, 'filter_chain_match')),
    destination: filterDestination(arr(chain, 'filters')),
  }));
}

/** istioctl's listener summary; `withType` is `proxy-config all`'s NAME column. */
export function printListenerSummary(dump: ConfigDump, f: ListenerFilter, withType = false): string {
  const verified = filterListeners(dump, f);
  goSortSlice(verified, (a, b) => {
    const pa = listenerPort(a);
    const pb = listenerPort(b);
    if (pa !== pb) return pa < pb;
    const aa = listenerAddress(a);
    const ab = listenerAddress(b);
    if (aa !== ab) return aa < ab;
    return listenerType(a) < listenerType(b);
  });
  let header = 'ADDRESSES\tPORT';
  if (withType) header = `NAME\t${header}`;
  header += f.verbose ? '\tMATCH\tDESTINATION' : '\tTYPE';
  let text = `${header}\n`;
  for (const l of verified) {
    const addresses = [listenerAddress(l), ...additionalAddresses(l)].join(',');
    const port = listenerPort(l);
    const name = withType ? `listener/${str(l, 'name')}\t` : '';
    if (f.verbose) {
      const rows = chainRows(l);
      goSortSlice(rows, (a, b) => a.destination > b.destination);
      for (const r of rows) text += `${name}${addresses}\t${port}\t${r.match}\t${r.destination}\n`;
    } else {
      text += `${name}${addresses}\t${port}\t${listenerType(l)}\n`;
    }
  }
  return tabulate(text, 0, 8, 1, ' ', 0);
}

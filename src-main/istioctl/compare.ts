// `proxy-status POD`: the control plane's config dump against the sidecar's, as istioctl's compare package prints it (Clusters, Listeners, Routes).
import { SECTION, type ConfigDump } from './configdump/dump';
import { isObject, type Json } from './configdump/json';
import { toProtoJsonNames } from './configdump/proto-json';
import { splitLines, unifiedDiff } from './go/difflib';

/** istioctl's Comparator context: 7 lines around each change. */
const CONTEXT = 7;

/** A copy without the given fields (what stripVersions clears). */
function omit(o: Json, ...keys: string[]): Json {
  const copy = { ...o };
  for (const k of keys) delete copy[k];
  return copy;
}

const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const nameOf = (v: unknown): string => (isObject(v) && typeof v['name'] === 'string' ? v['name'] : '');
const byName = <T>(key: (x: T) => unknown) => (x: T, y: T): number => {
  const a = nameOf(key(x));
  const b = nameOf(key(y));
  return a < b ? -1 : a > b ? 1 : 0;
};

/** jsonpb.Marshaler{Indent: "   "} of a message: protojson names, three-space indent, empty lists left out. */
function marshal(message: Record<string, unknown[]>): string {
  const present = Object.fromEntries(Object.entries(message).filter(([, v]) => v.length > 0));
  return JSON.stringify(toProtoJsonNames(present), null, 3);
}

/** configdump.Wrapper's GetDynamicClusterDump(stripVersions=true), marshalled; its error text if the section is missing. */
export function dynamicClusters(dump: ConfigDump): string {
  try {
    const dac = objects(dump.section(SECTION.clusters)['dynamic_active_clusters']);
    const stripped = dac.map((c) => omit(c, 'version_info', 'last_updated')).sort(byName((x) => x['cluster']));
    return marshal({ dynamic_active_clusters: stripped });
  } catch (err) {
    return (err as Error).message;
  }
}

/** GetDynamicListenerDump(true): draining states dropped, only listeners with an active state, names blanked. */
export function dynamicListeners(dump: ConfigDump): string {
  try {
    const dal = objects(dump.section(SECTION.listeners)['dynamic_listeners'])
      .filter((l) => isObject(l['active_state']))
      .map((l) => ({ ...omit(l, 'draining_state', 'name'), active_state: omit(l['active_state'] as Json, 'version_info', 'last_updated') }))
      .sort(byName((x) => x.active_state['listener']));
    return marshal({ dynamic_listeners: dal });
  } catch (err) {
    return (err as Error).message;
  }
}

/** GetDynamicRouteDump(true): route configurations and their virtual hosts in name order. */
export function dynamicRoutes(dump: ConfigDump): string {
  try {
    const drc = objects(dump.section(SECTION.routes)['dynamic_route_configs'])
      .map((r) => {
        const rest = omit(r, 'version_info', 'last_updated');
        const config = rest['route_config'];
        if (!isObject(config) || !Array.isArray(config['virtual_hosts'])) return rest;
        return { ...rest, route_config: { ...config, virtual_hosts: [...config['virtual_hosts']].sort(byName((x) => x)) } };
      })
      .sort(byName((x) => x['route_config']));
    return marshal({ dynamic_route_configs: drc });
  } catch (err) {
    return (err as Error).message;
  }
}

/** The newest `last_updated` of the sidecar's dynamic routes (GetLastUpdatedDynamicRouteTime). */
function lastRouteUpdate(dump: ConfigDump): Date | undefined {
  let newest: Date | undefined;
  for (const r of objects(dump.optionalSection(SECTION.routes)?.['dynamic_route_configs'])) {
    const t = typeof r['last_updated'] === 'string' ? new Date(r['last_updated']) : undefined;
    if (t && !Number.isNaN(t.getTime()) && (!newest || t > newest)) newest = t;
  }
  return newest;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** Go's time.RFC1123 ("Mon, 02 Jan 2006 15:04:05 MST"), in UTC as the lab shows time. */
export function rfc1123(t: Date): string {
  return `${DAYS[t.getUTCDay()]}, ${two(t.getUTCDate())} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} UTC`;
}

function section(name: string, istiod: string, envoy: string): { text: string; same: boolean } {
  const text = unifiedDiff({ a: splitLines(istiod), b: splitLines(envoy), fromFile: `Istiod ${name}`, toFile: `Envoy ${name}`, context: CONTEXT });
  return { text, same: text === '' };
}

/** Comparator.Diff: clusters, listeners, then routes, each "Match" or its diff (Println adds a blank line after a diff). */
export function compareDumps(istiod: ConfigDump, envoy: ConfigDump): string {
  let out = '';
  const clusters = section('Clusters', dynamicClusters(istiod), dynamicClusters(envoy));
  out += clusters.same ? 'Clusters Match\n' : `${clusters.text}\n`;
  const listeners = section('Listeners', dynamicListeners(istiod), dynamicListeners(envoy));
  out += listeners.same ? 'Listeners Match\n' : `${listeners.text}\n`;
  const routes = section('Routes', dynamicRoutes(istiod), dynamicRoutes(envoy));
  const loaded = lastRouteUpdate(envoy);
  const when = loaded ? ` (RDS last loaded at ${rfc1123(loaded)})` : '';
  out += routes.same ? `Routes Match${when}\n` : `Routes Don't Match${when}\n${routes.text}\n`;
  return out;
}

// describe's DestinationRule and VirtualService paragraphs, as istioctl/pkg/describe prints them for one Service of the pod.
import type { Json } from '../configdump/json';
import { isObject } from '../configdump/json';

export const LEVEL1 = 3;
export const LEVEL2 = 6;
const K8S_SUFFIX = '.svc.cluster.local';

export interface IstioResource {
  metadata: { name: string; namespace: string; creationTimestamp?: string };
  spec: Json;
}

export type Labels = Record<string, string>;
const spaces = (n: number): string => ' '.repeat(n);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** klabels.SelectorFromSet(set).Matches(labels): every pair present (an empty set matches everything). */
export function selects(set: Labels | undefined, labels: Labels): boolean {
  return Object.entries(set ?? {}).every(([k, v]) => labels[k] === v);
}

/** Appends ".svc.cluster.local" unless the host is a wildcard or already has it (describe's extendFQDN). */
export function extendFQDN(host: string): string {
  if (host.startsWith('*') || host.endsWith(K8S_SUFFIX)) return host;
  return host + K8S_SUFFIX;
}

/** model.ResolveShortnameToFQDN: a name without dots is in the resource's namespace. */
export function resolveShortname(host: string, namespace: string): string {
  if (host === '*' || /^[\d.]+$/.test(host) || host.includes(':') || host.includes('.')) return host;
  return `${host}.${namespace}${K8S_SUFFIX}`;
}

export function subsetsFor(dr: IstioResource | undefined, podsLabels: Labels[]): { matching: string[]; nonmatching: string[] } {
  const matching: string[] = [];
  const nonmatching: string[] = [];
  for (const s of list(dr?.spec['subsets'])) {
    const labels = (isObject(s['labels']) ? s['labels'] : {}) as Labels;
    (podsLabels.some((l) => selects(labels, l)) ? matching : nonmatching).push(text(s['name']));
  }
  return { matching, nonmatching };
}

function shortPolicies(p: Json): string {
  const extra = [['loadBalancer', 'load balancer'], ['connectionPool', 'connection pool'], ['outlierDetection', 'outlier detection']]
    .filter(([k]) => p[k] !== undefined)
    .map(([, v]) => v);
  return extra.length > 0 ? `Policies: ${extra.join('/')}\n` : '';
}

export function printDestinationRule(level: number, dr: IstioResource, kname: string, podsLabels: Labels[]): string {
  let out = `${spaces(level)}DestinationRule: ${kname} for ${JSON.stringify(text(dr.spec['host']))}\n`;
  const { matching, nonmatching } = subsetsFor(dr, podsLabels);
  if (matching.length > 0 || nonmatching.length > 0) {
    if (matching.length === 0) out += `${spaces(level + LEVEL1)}WARNING POD DOES NOT MATCH ANY SUBSETS.  (Non matching subsets ${nonmatching.join(',')})\n`;
    out += `${spaces(level + LEVEL1)}Matching subsets: ${matching.join(',')}\n`;
    if (nonmatching.length > 0) out += `${spaces(level + LEVEL2)}(Non-matching subsets ${nonmatching.join(',')})\n`;
  }
  const policy = dr.spec['trafficPolicy'];
  if (!isObject(policy)) return `${out}${spaces(level + LEVEL1)}No Traffic Policy\n`;
  if (isObject(policy['tls'])) out += `${spaces(level + LEVEL1)}Traffic Policy TLS Mode: ${text(policy['tls']['mode']) || 'DISABLE'}\n`;
  const sp = shortPolicies(policy);
  if (sp) out += `${spaces(level + LEVEL1)}${sp}`;
  if (Array.isArray(policy['portLevelSettings'])) {
    out += `${spaces(level + LEVEL1)}Port Level Settings:\n`;
    for (const ps of list(policy['portLevelSettings'])) {
      const port = isObject(ps['port']) ? Number(ps['port']['number'] ?? 0) : 0;
      out += `${spaces(4)}${port}:\n`;
      if (isObject(ps['tls'])) out += `${spaces(level + LEVEL2)}TLS Mode: ${text(ps['tls']['mode']) || 'DISABLE'}\n`;
      const psp = shortPolicies(ps);
      if (psp) out += `${spaces(level + LEVEL2)}${psp}`;
    }
  }
  return out;
}

function renderStringMatch(sm: unknown): string {
  if (!isObject(sm)) return '';
  if (typeof sm['exact'] === 'string') return sm['exact'];
  if (typeof sm['prefix'] === 'string') return `${sm['prefix']}*`;
  // Go prints the message in proto text form; a regex is the only other match type.
  return typeof sm['regex'] === 'string' ? `regex:${JSON.stringify(sm['regex'])}` : '';
}

function renderMatch(m: Json): string {
  let out = 'Match: ';
  if (m['uri'] !== undefined) {
    out += renderStringMatch(m['uri']);
    if (m['ignoreUriCase'] === true) out += ' uncased';
  }
  if (isObject(m['headers']) && Object.keys(m['headers']).length > 0) {
    out += ` when headers are ${Object.entries(m['headers']).map(([k, v]) => `${k}=${renderStringMatch(v)}`).join('; ')}`;
  }
  return out.trim();
}

function renderMatches(matches: Json[]): string {
  return matches.length === 0 ? 'everything' : matches.map(renderMatch).join(', ');
}

interface RouteContext {
  vs: IstioResource;
  svcHost: string;
  matching: string[];
  nonmatching: string[];
  dr?: IstioResource;
  drName?: string;
}

function httpRouteMatchSvc(c: RouteContext, route: Json): { match: boolean; facts: string[] } {
  const facts: string[] = [];
  const mismatch: string[] = [];
  let match = false;
  for (const dest of list(route['route'])) {
    const d = isObject(dest['destination']) ? dest['destination'] : {};
    const host = text(d['host']);
    const subset = text(d['subset']);
    const weight = Number(dest['weight'] ?? 0);
    if (extendFQDN(resolveShortname(host, c.vs.metadata.namespace)) === c.svcHost) {
      if (subset !== '') {
        if (c.nonmatching.includes(subset)) {
          mismatch.push(`Route to non-matching subset ${subset} for (${renderMatches(list(route['match']))})`);
          continue;
        }
        if (!c.matching.includes(subset)) {
          mismatch.push(c.dr ? `Warning: Route to UNKNOWN subset ${subset}; check DestinationRule ${c.drName}` : `Warning: Route to subset ${subset} but NO DESTINATION RULE defining subsets!`);
          continue;
        }
      }
      match = true;
      if (weight > 0) facts.push(`Route to host "${host}"${subset ? ` subset "${subset}"` : ''} with weight ${weight}%`);
    } else if (subset === '') facts.push(`Route to host "${host}" with weight ${weight}%`);
    else facts.push(`Route to ${host} with invalid config`);
  }
  if (match) {
    const req: string[] = [];
    if (route['fault'] !== undefined) req.push(`Fault injection ${JSON.stringify(route['fault'])}`);
    for (const m of list(route['match'])) req.push(renderMatch(m));
    if (req.length > 0) facts.push(req.join(', '));
  }
  if (!match && mismatch.length > 0) facts.push(...mismatch);
  return { match, facts };
}

function tcpRouteMatchSvc(c: RouteContext, route: Json): { match: boolean; facts: string[] } {
  const match = list(route['route']).some((dest) => isObject(dest['destination']) && extendFQDN(resolveShortname(text(dest['destination']['host']), c.vs.metadata.namespace)) === c.svcHost);
  // Go prints each L4 match in proto text form: `key:value` pairs.
  const facts = match ? list(route['match']).map((m) => Object.entries(m).map(([k, v]) => `${k}:${typeof v === 'string' ? JSON.stringify(v) : String(v)}`).join(' ')) : [];
  return { match, facts };
}

export function printVirtualService(level: number, vs: IstioResource, kname: string, c: Omit<RouteContext, 'vs'>): string {
  let out = `${spaces(level)}VirtualService: ${kname}\n`;
  const ctx = { ...c, vs };
  const http = list(vs.spec['http']);
  const tcp = list(vs.spec['tcp']);
  const tls = list(vs.spec['tls']);
  let matches = 0;
  let facts = 0;
  const mismatch: string[] = [];
  const each = (r: { match: boolean; facts: string[] }): void => {
    if (!r.match) {
      mismatch.push(...r.facts);
      return;
    }
    matches++;
    for (const f of r.facts) {
      out += `${spaces(level + LEVEL1)}${f}\n`;
      facts++;
    }
  };
  http.forEach((r) => each(httpRouteMatchSvc(ctx, r)));
  tcp.forEach((r) => each(tcpRouteMatchSvc(ctx, r)));
  if (matches === 0) {
    if (http.length > 0) out += `${spaces(level + LEVEL1)}WARNING: No destinations match pod subsets (checked ${http.length} HTTP routes)\n`;
    if (tcp.length > 0) out += `${spaces(level + LEVEL1)}WARNING: No destinations match pod subsets (checked ${tcp.length} TCP routes)\n`;
    for (const m of mismatch) out += `${spaces(level + LEVEL2)}${m}\n`;
    return out;
  }
  const possible = http.length + tls.length + tcp.length;
  if (matches < possible) {
    out += `${spaces(level + LEVEL1)}${possible - matches} additional destination(s) that will not reach this pod\n`;
    if (facts === 0) for (const m of mismatch) out += `${spaces(level + LEVEL2)}${m}\n`;
    return out;
  }
  if (facts === 0) {
    if (http.length > 0) out += `${spaces(level + LEVEL1)}${http.length} HTTP route(s)\n`;
    if (tcp.length > 0) out += `${spaces(level + LEVEL1)}${tcp.length} TCP route(s)\n`;
  }
  return out;
}

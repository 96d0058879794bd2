// Istio's cluster-name parsing (pilot/pkg/model.ParseSubsetKey): direction|port|subset|hostname.

export interface SubsetKey {
  direction: string;
  subset: string;
  hostname: string;
  port: number;
}

/** Go's strconv.Atoi: optional sign and decimal digits only; anything else is an error (undefined). */
export function atoi(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

function cut(s: string, sep: string): [string, string, boolean] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, '', false] : [s.slice(0, i), s.slice(i + sep.length), true];
}

export function parseSubsetKey(s: string): SubsetKey {
  const out: SubsetKey = { direction: '', subset: '', hostname: '', port: 0 };
  // The DNS SRV form outbound_.port_.subset_.hostname is parsed with "_." as separator.
  const sep = s.startsWith('outbound_') || s.startsWith('inbound_') ? '_.' : '|';
  const [dir, afterDir, ok1] = cut(s, sep);
  if (!ok1) return out;
  out.direction = dir;
  const [p, afterPort, ok2] = cut(afterDir, sep);
  if (!ok2) return out;
  out.port = atoi(p) ?? 0;
  const [ss, rest, ok3] = cut(afterPort, sep);
  if (!ok3) return out;
  out.subset = ss;
  if (rest.includes(sep)) return out;
  out.hostname = rest;
  return out;
}

/** istioctl's safelyParseSubsetKey: names with fewer than four |-parts are plain hostnames. */
export function safelyParseSubsetKey(key: string): SubsetKey {
  if (key.split('|').length > 3) return parseSubsetKey(key);
  return { direction: '', subset: '', hostname: key, port: 0 };
}

/** The comparator istioctl sorts clusters and endpoints with: hostname, subset, port, direction. */
export function subsetKeyLess(a: string, b: string): boolean {
  const i = safelyParseSubsetKey(a);
  const j = safelyParseSubsetKey(b);
  if (i.hostname !== j.hostname) return i.hostname < j.hostname;
  if (i.subset !== j.subset) return i.subset < j.subset;
  if (i.port !== j.port) return i.port < j.port;
  return i.direction < j.direction;
}

// precheck's data-plane check (istioctl/pkg/precheck checkListeners): a port the sidecar has an inbound cluster for,
// bound by the app to a loopback address only, is IST0143 — since Istio 1.10 inbound traffic reaches the app on the pod IP.
import { isIP } from 'node:net';
import { isObject, obj, str, type Json } from '../configdump/json';
import { parseSubsetKey } from '../configdump/subset-key';

/** What a port is bound to in the pod, from `ss -ltnH` (precheck's bindStatus). */
export interface BindStatus {
  lo: boolean;
  wildcard: boolean;
  explicit: boolean;
}

/** The semantic version a tag names, as go-version's NewSemver reads it after TagToVersionString drops `release-`; undefined if it is none. */
function tagVersion(tag: string): [number, number, number] | undefined {
  const t = tag.startsWith('release-') ? tag.slice('release-'.length) : tag;
  const ident = '[0-9A-Za-z\\-~]+(\\.[0-9A-Za-z\\-~]+)*';
  const m = new RegExp(`^v?(\\d+(?:\\.\\d+){0,2})(-${ident})?(\\+${ident})?$`).exec(t);
  if (!m) return undefined;
  const parts = m[1].split('.').map(Number);
  return [parts[0], parts[1] ?? 0, parts[2] ?? 0];
}

/**
 * fromLegacyNetworkingVersion: the pod's istio-proxy image is older than 1.10, or its tag is no version
 * (`latest`, a digest) and precheck checks rather than guesses. A pod without istio-proxy is not checked.
 */
export function fromLegacyNetworkingVersion(pod: Json): boolean {
  for (const c of Array.isArray(obj(pod, 'spec').containers) ? (obj(pod, 'spec').containers as unknown[]) : []) {
    if (str(c, 'name') !== 'istio-proxy') continue;
    // strings.Cut at the first colon: a registry's port makes the "tag" unparseable, so the pod is checked.
    const image = str(c, 'image');
    const colon = image.indexOf(':');
    const version = tagVersion(colon < 0 ? '' : image.slice(colon + 1));
    if (!version) return true;
    const [major, minor] = version;
    return major < 1 || (major === 1 && minor < 10);
  }
  return false;
}

/** extractInboundPorts: the ports of the proxy's `inbound|PORT||` clusters, from `config_dump?resource=dynamic_active_clusters`. */
export function inboundPorts(dump: Json): Map<number, BindStatus> {
  const ports = new Map<number, BindStatus>();
  const configs = Array.isArray(dump.configs) ? dump.configs : [];
  for (const item of configs) {
    if (!isObject(item)) continue;
    const key = parseSubsetKey(str(obj(item, 'cluster'), 'name'));
    if (key.direction === 'inbound') ports.set(key.port, { lo: false, wildcard: false, explicit: false });
  }
  return ports;
}

/** precheck's getColumn: the col-th run of non-space characters (spaces only; a tab is part of a column). */
export function getColumn(line: string, col: number): string {
  let res = '';
  let prevSpace = false;
  for (const c of line) {
    if (col < 0) return res;
    if (c === ' ') {
      if (!prevSpace) col--;
      prevSpace = true;
      continue;
    }
    prevSpace = false;
    if (col === 0) res += c;
  }
  return res;
}

/** Go's net.SplitHostPort for the forms ss prints: `host:port` and `[v6]:port`. */
function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || hostport[end + 1] !== ':') return undefined;
    return { host: hostport.slice(1, end), port: hostport.slice(end + 2) };
  }
  const i = hostport.lastIndexOf(':');
  if (i < 0 || hostport.slice(0, i).includes(':')) return undefined;
  return { host: hostport.slice(0, i), port: hostport.slice(i + 1) };
}

/** netip.ParseAddr then IsUnspecified / IsLoopback; an address with a zone (`127.0.0.53%lo`) does not parse as IPv4 and counts as explicit. */
function classify(host: string): 'wildcard' | 'lo' | 'explicit' {
  if (host === '*') return 'wildcard';
  const [addr, zone] = host.split('%', 2);
  const family = isIP(addr);
  if (family === 0 || (family === 4 && zone !== undefined)) return 'explicit';
  if (family === 4) {
    if (addr === '0.0.0.0') return 'wildcard';
    return addr.startsWith('127.') ? 'lo' : 'explicit';
  }
  const v6 = addr.toLowerCase();
  if (v6 === '::') return 'wildcard';
  if (v6 === '::1') return 'lo';
  // An IPv4-mapped address is its IPv4 address for netip's Is* methods.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
  if (mapped) return classify(mapped[1]);
  return 'explicit';
}

/**
 * Marks each inbound port with how `ss -ltnH` shows it bound; returns the lines precheck could not parse,
 * which istioctl reports on stdout and skips.
 */
export function markBindings(ports: Map<number, BindStatus>, ssOutput: string): string[] {
  const problems: string[] = [];
  for (const line of ssOutput.split('\n')) {
    if (line.length === 0) continue;
    const local = getColumn(line, 3);
    const hp = splitHostPort(local);
    if (!hp) {
      problems.push(`address ${local}: ${local.includes(':') ? 'too many colons in address' : 'missing port in address'}`);
      continue;
    }
    const port = /^[+-]?\d+$/.test(hp.port) ? Number(hp.port) : 0;
    const status = ports.get(port);
    if (!status || hp.host === '') continue;
    status[classify(hp.host)] = true;
  }
  return problems;
}

/** The ports reported as IST0143: bound to loopback (even if also bound elsewhere, as precheck reports them). */
export function localhostPorts(ports: Map<number, BindStatus>): number[] {
  return [...ports].filter(([, s]) => s.lo).map(([p]) => p);
}

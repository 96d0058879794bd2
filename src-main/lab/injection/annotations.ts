// The injector's annotation checks (Istio's pkg/kube/inject/validate.go) and its excludeInboundPort template helper.

export const ANNOTATIONS = {
  interceptionMode: 'sidecar.istio.io/interceptionMode',
  statusPort: 'status.sidecar.istio.io/port',
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  rerouteVirtualInterfaces: 'istio.io/reroute-virtual-interfaces',
  kubevirtInterfaces: 'traffic.sidecar.istio.io/kubevirtInterfaces',
  excludeInterfaces: 'traffic.sidecar.istio.io/excludeInterfaces',
  agentLogLevel: 'sidecar.istio.io/agentLogLevel',
  proxyConfig: 'proxy.istio.io/config',
} as const;

export class InjectionError extends Error {
  /** The annotation whose value is wrong, when the error is about one (lets callers point at its line). */
  readonly annotation?: string;

  constructor(message: string, annotation?: string) {
    super(message);
    this.name = 'InjectionError';
    this.annotation = annotation;
  }
}

export function invalidAnnotation(name: string, value: string, reason: string): InjectionError {
  return new InjectionError(
    `injection: invalid value "${value}" for annotation ${name}: ${reason}`,
    name,
  );
}

/** parsePort: strconv.ParseUint(TrimSpace(s), 10, 16). */
export function parsePort(s: string): number | null {
  const t = s.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n <= 65535 ? n : null;
}

/** parsePorts: an empty (blank) list is fine, otherwise every comma item must be a port. */
function portListProblem(value: string): string | null {
  if (value.trim() === '') return null;
  for (const item of value.split(',')) {
    if (parsePort(item) === null) return `failed parsing port "${item}": ports are 0-65535`;
  }
  return null;
}

function ipv4(s: string): boolean {
  const parts = s.split('.');
  return (
    parts.length === 4 &&
    parts.every(
      (p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && (p.length === 1 || !p.startsWith('0')),
    )
  );
}

function ipv6(s: string): boolean {
  if (s.includes('%') || !s.includes(':')) return false;
  let text = s;
  const last = text.slice(text.lastIndexOf(':') + 1);
  if (last.includes('.')) {
    // An embedded IPv4 address stands for the last two groups.
    if (!ipv4(last)) return false;
    text = text.slice(0, text.length - last.length) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const all = halves.flatMap(groups);
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length <= 7 : all.length === 8;
}

/** netip.ParsePrefix, enough to reject what it rejects. */
export function cidrProblem(s: string): string | null {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return `failed parsing cidr "${s}": no "/"`;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  const v4 = ipv4(addr);
  if (!v4 && !ipv6(addr)) return `failed parsing cidr "${s}": "${addr}" is not an IP address`;
  if (
    !/^\d+$/.test(bits) ||
    (bits.length > 1 && bits.startsWith('0')) ||
    Number(bits) > (v4 ? 32 : 128)
  ) {
    return `failed parsing cidr "${s}": bad prefix length "${bits}"`;
  }
  return null;
}

/** validateCIDRList: every comma item (empty items included, as strings.Split gives them) must be a prefix. */
function cidrListProblem(value: string): string | null {
  if (value.length === 0) return null;
  for (const item of value.split(',')) {
    const p = cidrProblem(item);
    if (p) return p;
  }
  return null;
}

function interfacesProblem(value: string): string | null {
  for (const name of value.split(',').filter((x) => x !== '')) {
    if (!/^[A-Za-z0-9_.@+-]{1,15}$/.test(name)) return `"${name}" is not an interface name`;
  }
  return null;
}

type Check = (value: string) => string | null;

const CHECKS: Record<string, Check> = {
  [ANNOTATIONS.interceptionMode]: (v) =>
    ['REDIRECT', 'TPROXY', 'NONE'].includes(v)
      ? null
      : 'interceptionMode must be REDIRECT, TPROXY or NONE',
  [ANNOTATIONS.statusPort]: (v) =>
    parsePort(v) === null ? 'the status port must be 0-65535' : null,
  [ANNOTATIONS.includeOutboundIPRanges]: (v) => (v === '*' ? null : cidrListProblem(v)),
  [ANNOTATIONS.excludeOutboundIPRanges]: cidrListProblem,
  [ANNOTATIONS.includeInboundPorts]: (v) => (v === '*' ? null : portListProblem(v)),
  [ANNOTATIONS.excludeInboundPorts]: portListProblem,
  [ANNOTATIONS.excludeOutboundPorts]: portListProblem,
  // Istio does not check these; istio-iptables would fail on them later, so they are checked here.
  [ANNOTATIONS.includeOutboundPorts]: portListProblem,
  [ANNOTATIONS.rerouteVirtualInterfaces]: interfacesProblem,
  [ANNOTATIONS.kubevirtInterfaces]: interfacesProblem,
  [ANNOTATIONS.excludeInterfaces]: interfacesProblem,
};

/** The problem with one annotation's value, or null (null too for an annotation that is not checked). */
export function checkAnnotationValue(name: string, value: string): string | null {
  const check = CHECKS[name];
  return check ? check(value) : null;
}

/** validateAnnotations: throws for the first bad value, naming the annotation and the value. */
export function validateAnnotations(annotations: Record<string, string>): void {
  for (const [name, check] of Object.entries(CHECKS)) {
    const value = annotations[name];
    if (value === undefined) continue;
    const problem = check(value);
    if (problem) throw invalidAnnotation(name, value, problem);
  }
}

/**
 * The template's excludeInboundPort: the status port appended to the excluded inbound ports unless it is
 * already there; a status port of 0 (or none) adds nothing.
 */
export function excludeInboundPort(statusPort: string, excluded: string): string {
  const port = statusPort.trim();
  if (port === '' || port === '0') return excluded;
  const out: string[] = [];
  for (const p of excluded.split(',')) {
    if (p === port) return excluded;
    if (p.trim() !== '') out.push(p.trim());
  }
  out.push(port);
  return out.join(',');
}

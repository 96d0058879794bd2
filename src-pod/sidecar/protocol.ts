// Istio's port protocol selection (port name prefix, appProtocol) and what the proxy does with each.

/** Istio's protocol names (pkg/config/protocol), plus UNSUPPORTED for "not declared". */
export type IstioProtocol =
  | 'HTTP'
  | 'HTTP2'
  | 'HTTP_PROXY'
  | 'GRPC'
  | 'GRPC-Web'
  | 'HTTPS'
  | 'TLS'
  | 'TCP'
  | 'Mongo'
  | 'MySQL'
  | 'Redis'
  | 'UDP'
  | 'UNSUPPORTED';

/** How the data plane treats a port: per-request HTTP, a byte pipe, or sniff the first bytes. */
export type PortHandling = 'http' | 'tcp' | 'auto';

const BY_NAME: Readonly<Record<string, IstioProtocol>> = {
  http: 'HTTP',
  http2: 'HTTP2',
  http_proxy: 'HTTP_PROXY',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  https: 'HTTPS',
  tls: 'TLS',
  tcp: 'TCP',
  mongo: 'Mongo',
  mysql: 'MySQL',
  redis: 'Redis',
  udp: 'UDP',
};

// Kubernetes' standard appProtocol values, which Istio maps before reading the name (exact case, as its switch).
const APP_PROTOCOL_ALIASES: Readonly<Record<string, IstioProtocol>> = {
  'kubernetes.io/h2c': 'HTTP2',
  'kubernetes.io/ws': 'HTTP',
  'kubernetes.io/wss': 'HTTPS',
};

// Ports Istio never sniffs when their protocol is not declared (pkg/config/kube/conversion.go).
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

/** Istio's `protocol.Parse`: case-insensitive, UNSUPPORTED for anything it does not know. */
export function parseProtocol(value: string): IstioProtocol {
  return BY_NAME[value.toLowerCase()] ?? 'UNSUPPORTED';
}

/**
 * Istio's `kube.ConvertProtocol` for a Service port: UDP stays UDP; a set `appProtocol` is read
 * instead of the name (an unknown one is not rescued by the name); then the text up to the first
 * `-` (`http-web`, `grpc-x`; `grpc-web` whole; `httpx` is not HTTP). Undeclared on 25, 53, 3306
 * or 27017 is TCP.
 */
export function portProtocol(
  port: number,
  name: string | undefined,
  appProtocol?: string,
  l4: 'TCP' | 'UDP' | 'SCTP' = 'TCP',
): IstioProtocol {
  if (l4 === 'UDP') return 'UDP';
  let text = name ?? '';
  if (appProtocol !== undefined && appProtocol !== '') {
    const alias = APP_PROTOCOL_ALIASES[appProtocol];
    if (alias) return alias;
    text = appProtocol;
  }
  let p: IstioProtocol;
  if (text.toLowerCase().startsWith('grpc-web')) p = 'GRPC-Web';
  else {
    const dash = text.indexOf('-');
    p = parseProtocol(dash === -1 ? text : text.slice(0, dash));
  }
  return p === 'UNSUPPORTED' && WELL_KNOWN_TCP_PORTS.has(port) ? 'TCP' : p;
}

/** Istio's `ModelProtocolToListenerProtocol`: an HTTP connection manager, a TCP proxy, both with sniffing, or nothing (UDP). */
export type ListenerProtocol = 'http' | 'tcp' | 'auto' | 'none';

export function listenerProtocol(protocol: IstioProtocol): ListenerProtocol {
  switch (protocol) {
    case 'HTTP':
    case 'HTTP2':
    case 'HTTP_PROXY':
    case 'GRPC':
    case 'GRPC-Web':
      return 'http';
    case 'UNSUPPORTED':
      return 'auto';
    case 'UDP':
      return 'none';
    default:
      return 'tcp';
  }
}

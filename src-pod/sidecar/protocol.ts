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

// Kubernetes-standard appProtocol values Istio understands besides its own names.
const APP_PROTOCOL_ALIASES: Readonly<Record<string, IstioProtocol>> = {
  'kubernetes.io/h2c': 'HTTP2',
  'kubernetes.io/ws': 'HTTP',
  'kubernetes.io/wss': 'HTTPS',
};

/** Istio's `protocol.Parse`: case-insensitive, UNSUPPORTED for anything it does not know. */
export function parseProtocol(value: string): IstioProtocol {
  return BY_NAME[value.toLowerCase()] ?? 'UNSUPPORTED';
}

/**
 * Istio's `ConvertProtocol`: UDP stays UDP; a known `appProtocol` wins; otherwise the port
 * name up to the first `-` (`http`, `http-web`, `grpc-x`, `tcp-db`; `httpx` is not HTTP).
 */
export function portProtocol(
  name: string | undefined,
  appProtocol?: string,
  l4: 'TCP' | 'UDP' | 'SCTP' = 'TCP',
): IstioProtocol {
  if (l4 === 'UDP') return 'UDP';
  if (appProtocol !== undefined && appProtocol !== '') {
    const alias = APP_PROTOCOL_ALIASES[appProtocol.toLowerCase()];
    const parsed = alias ?? parseProtocol(appProtocol);
    if (parsed !== 'UNSUPPORTED') return parsed;
  }
  if (name === undefined || name === '') return 'UNSUPPORTED';
  const dash = name.indexOf('-');
  // `grpc-web` is a protocol of its own, not `grpc` with a suffix.
  if (name.toLowerCase().startsWith('grpc-web')) return 'GRPC-Web';
  return parseProtocol(dash === -1 ? name : name.slice(0, dash));
}

/**
 * HTTP/1.1 is proxied per request. HTTP2/gRPC are piped as bytes (this proxy has no h2 codec),
 * as are TLS and the server-first database protocols, which Istio never sniffs.
 */
export function portHandling(protocol: IstioProtocol): PortHandling {
  switch (protocol) {
    case 'HTTP':
      return 'http';
    case 'UNSUPPORTED':
      return 'auto';
    default:
      return 'tcp';
  }
}

// What one request or TCP connection did: the record behind the access log, flow events and stats.

/** Envoy response flags this proxy sets (short form, as in `%RESPONSE_FLAGS%`). */
export type ResponseFlag = 'UF' | 'UH' | 'URX' | 'NR' | 'DC' | 'UC' | 'UT' | 'DPE';

export interface StreamInfo {
  kind: 'tcp' | 'http';
  direction: 'outbound' | 'inbound';
  /** `virtualOutbound` / `virtualInbound`. */
  listener: string;
  /** The Istio listener / filter chain matched (`10.96.0.10_80`, `PassthroughFilterChain`, …). */
  filterChain: string;
  connectionId: number;
  /** Epoch ms (fractional) when the request / connection started. */
  startTime: number;
  /** performance.now() at start, for durations. */
  startMono: number;
  downstreamRemote: string;
  /** The original destination (Envoy reports the restored address as the local one). */
  downstreamLocal: string;
  /** The socket the proxy really accepted on (127.0.0.1:15001 under REDIRECT). */
  listenerAddress: string;
  cluster?: string;
  routeName?: string;
  upstreamHost?: string;
  upstreamLocal?: string;
  /** ms after start; undefined when no new connection was made (pooled) or none at all. */
  upstreamConnectMs?: number;
  /** ms after start of the first upstream byte (HTTP: response headers). */
  firstUpstreamByteMs?: number;
  durationMs?: number;
  /** HTTP: body bytes; TCP: bytes from / to the downstream. */
  bytesReceived: number;
  bytesSent: number;
  responseCode: number;
  flags: ResponseFlag[];
  responseCodeDetails?: string;
  connectionTerminationDetails?: string;
  upstreamTransportFailureReason?: string;
  requestedServerName?: string;
  /** The detected or declared protocol: `HTTP/1.1`, `HTTP/1.0`, or undefined for TCP. */
  protocol?: string;
  method?: string;
  path?: string;
  authority?: string;
  userAgent?: string;
  requestId?: string;
  forwardedFor?: string;
  upstreamServiceTimeMs?: number;
  attempts?: number;
  /** For metric labels: the destination service hostname. */
  service?: string;
}

export function newStreamInfo(init: Pick<StreamInfo, 'kind' | 'direction' | 'listener' | 'filterChain' | 'connectionId' | 'downstreamRemote' | 'downstreamLocal' | 'listenerAddress'>): StreamInfo {
  return {
    ...init,
    startTime: Date.now(),
    startMono: performance.now(),
    bytesReceived: 0,
    bytesSent: 0,
    responseCode: 0,
    flags: [],
  };
}

/** Milliseconds since the stream started (fractional). */
export function since(info: StreamInfo): number {
  return performance.now() - info.startMono;
}

export function addFlag(info: StreamInfo, flag: ResponseFlag): void {
  if (!info.flags.includes(flag)) info.flags.push(flag);
}

// Envoy prints flags in this fixed order, comma-separated.
const FLAG_ORDER: ResponseFlag[] = ['UH', 'UT', 'UF', 'UC', 'NR', 'DC', 'URX', 'DPE'];

export function formatFlags(flags: readonly ResponseFlag[]): string {
  if (flags.length === 0) return '-';
  if (flags.length === 1) return flags[0];
  return FLAG_ORDER.filter((f) => flags.includes(f)).join(',');
}

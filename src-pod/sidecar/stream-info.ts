// What one request or TCP connection did: the record behind the access log, flow events and stats.

/** Envoy response flags this proxy sets (short form, as in `%RESPONSE_FLAGS%`). */
export type ResponseFlag = 'UF' | 'UH' | 'URX' | 'NR' | 'NC' | 'DC' | 'UC' | 'UT' | 'DPE' | 'UPE';

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

type StreamInit = Pick<StreamInfo, 'kind' | 'direction' | 'listener' | 'filterChain' | 'connectionId' | 'downstreamRemote' | 'downstreamLocal' | 'listenerAddress'>;

/**
 * A fresh record. Every field is spelled out (optional ones as undefined) so all records share one
 * object shape: the hot path's property reads stay monomorphic and no spread copy is made.
 */
export function newStreamInfo(init: StreamInit): StreamInfo {
  return {
    kind: init.kind,
    direction: init.direction,
    listener: init.listener,
    filterChain: init.filterChain,
    connectionId: init.connectionId,
    startTime: Date.now(),
    startMono: performance.now(),
    downstreamRemote: init.downstreamRemote,
    downstreamLocal: init.downstreamLocal,
    listenerAddress: init.listenerAddress,
    cluster: undefined,
    routeName: undefined,
    upstreamHost: undefined,
    upstreamLocal: undefined,
    upstreamConnectMs: undefined,
    firstUpstreamByteMs: undefined,
    durationMs: undefined,
    bytesReceived: 0,
    bytesSent: 0,
    responseCode: 0,
    flags: [],
    responseCodeDetails: undefined,
    connectionTerminationDetails: undefined,
    upstreamTransportFailureReason: undefined,
    requestedServerName: undefined,
    protocol: undefined,
    method: undefined,
    path: undefined,
    authority: undefined,
    userAgent: undefined,
    requestId: undefined,
    forwardedFor: undefined,
    upstreamServiceTimeMs: undefined,
    attempts: undefined,
    service: undefined,
  };
}

// Shared by snapshots without flags; never pushed to (addFlag only runs on live records).
const NO_FLAGS: ResponseFlag[] = [];

/**
 * A copy that later changes to `info` (bytes, flags, a late close) do not reach: what the flow
 * ring keeps until someone reads it.
 */
export function snapshotStreamInfo(info: StreamInfo): StreamInfo {
  return {
    kind: info.kind,
    direction: info.direction,
    listener: info.listener,
    filterChain: info.filterChain,
    connectionId: info.connectionId,
    startTime: info.startTime,
    startMono: info.startMono,
    downstreamRemote: info.downstreamRemote,
    downstreamLocal: info.downstreamLocal,
    listenerAddress: info.listenerAddress,
    cluster: info.cluster,
    routeName: info.routeName,
    upstreamHost: info.upstreamHost,
    upstreamLocal: info.upstreamLocal,
    upstreamConnectMs: info.upstreamConnectMs,
    firstUpstreamByteMs: info.firstUpstreamByteMs,
    durationMs: info.durationMs,
    bytesReceived: info.bytesReceived,
    bytesSent: info.bytesSent,
    responseCode: info.responseCode,
    flags: info.flags.length === 0 ? NO_FLAGS : info.flags.slice(),
    responseCodeDetails: info.responseCodeDetails,
    connectionTerminationDetails: info.connectionTerminationDetails,
    upstreamTransportFailureReason: info.upstreamTransportFailureReason,
    requestedServerName: info.requestedServerName,
    protocol: info.protocol,
    method: info.method,
    path: info.path,
    authority: info.authority,
    userAgent: info.userAgent,
    requestId: info.requestId,
    forwardedFor: info.forwardedFor,
    upstreamServiceTimeMs: info.upstreamServiceTimeMs,
    attempts: info.attempts,
    service: info.service,
  };
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()`, with the part up to the seconds cached: requests in the same
 * second only pay for the milliseconds.
 */
export function isoTime(ms: number): string {
  const t = Math.trunc(ms);
  const second = Math.floor(t / 1000);
  if (second !== isoSecond) {
    const iso = new Date(t).toISOString();
    // Only the plain `YYYY-MM-DDTHH:MM:SS.mmmZ` layout is cached (not years past 9999, not NaN).
    if (iso.length !== 24) return iso;
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
  }
  const milli = t - second * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** Milliseconds since the stream started (fractional). */
export function since(info: StreamInfo): number {
  return performance.now() - info.startMono;
}

export function addFlag(info: StreamInfo, flag: ResponseFlag): void {
  if (!info.flags.includes(flag)) info.flags.push(flag);
}

// Envoy prints flags in this fixed order, comma-separated.
const FLAG_ORDER: ResponseFlag[] = ['UH', 'UT', 'UF', 'UC', 'NR', 'DC', 'URX', 'DPE', 'UPE', 'NC'];

export function formatFlags(flags: readonly ResponseFlag[]): string {
  if (flags.length === 0) return '-';
  if (flags.length === 1) return flags[0];
  return FLAG_ORDER.filter((f) => flags.includes(f)).join(',');
}

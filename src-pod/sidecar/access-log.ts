// Istio's default TEXT access log, one line per HTTP request or TCP connection, batched to stdout.
import { formatFlags, isoTime, type StreamInfo } from './stream-info';

/**
 * Istio's `EnvoyTextLogFormat` (pilot/pkg/model/telemetry_logging.go), which this proxy renders
 * field by field in `formatAccessLog`.
 */
export const ISTIO_TEXT_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  '%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% ' +
  '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% ' +
  '%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% ' +
  '%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

const dash = (v: string | undefined): string => (v === undefined || v === '' ? '-' : v);
// Envoy replaces spaces in these two fields so the line stays space-separated.
const token = (v: string | undefined): string => (v === undefined || v === '' ? '-' : v.includes(' ') ? v.replace(/ /g, '_') : v);
const num = (v: number | undefined): string => (v === undefined ? '-' : String(Math.floor(v)));

/** One access log line (with the trailing newline), exactly in Istio's default layout. */
export function formatAccessLog(s: StreamInfo): string {
  const http = s.kind === 'http';
  return (
    `[${isoTime(s.startTime)}] ` +
    `"${http ? dash(s.method) : '-'} ${http ? dash(s.path) : '-'} ${http ? dash(s.protocol) : '-'}" ` +
    `${s.responseCode} ${formatFlags(s.flags)} ${token(s.responseCodeDetails)} ` +
    `${token(s.connectionTerminationDetails)} "${token(s.upstreamTransportFailureReason)}" ` +
    `${s.bytesReceived} ${s.bytesSent} ${num(s.durationMs)} ${num(s.upstreamServiceTimeMs)} ` +
    `"${dash(s.forwardedFor)}" "${dash(s.userAgent)}" "${dash(s.requestId)}" "${dash(s.authority)}" ` +
    `"${dash(s.upstreamHost)}" ${dash(s.cluster)} ${dash(s.upstreamLocal)} ${dash(s.downstreamLocal)} ` +
    `${dash(s.downstreamRemote)} ${dash(s.requestedServerName)} ${dash(s.routeName)}\n`
  );
}

/**
 * A line sink that batches writes: one write(2) for many requests. By default once per
 * event-loop turn; with `minIntervalMs`, at most once per interval (a line after a quiet spell
 * still goes out on the next turn), the way Envoy buffers its access log file.
 */
export class LineBatcher {
  private lines: string[] = [];
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly minIntervalMs = 0,
  ) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.scheduled) {
      // Bounded: a burst never holds more than this many lines.
      if (this.lines.length >= MAX_LINES) this.flush();
      return;
    }
    this.scheduled = true;
    const wait = this.minIntervalMs > 0 ? this.lastFlush + this.minIntervalMs - Date.now() : 0;
    if (wait > 0) this.timer = setTimeout(() => this.flush(), wait);
    else setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.lastFlush = Date.now();
    this.write(text);
  }
}

const MAX_LINES = 4096;

// Istio's default TEXT access log line, response flags, and the batching sink.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatAccessLog, ISTIO_TEXT_LOG_FORMAT, LineBatcher } from '../../../src-pod/sidecar/access-log';
import { formatFlags, newStreamInfo, type StreamInfo } from '../../../src-pod/sidecar/stream-info';
import { resetBody, resetDetails } from '../../../src-pod/sidecar/upstream-errors';

function info(over: Partial<StreamInfo>): StreamInfo {
  return {
    ...newStreamInfo({
      kind: 'http',
      direction: 'outbound',
      listener: 'virtualOutbound',
      filterChain: '10.96.0.10_80',
      connectionId: 1,
      downstreamRemote: '10.244.0.5:40000',
      downstreamLocal: '10.96.0.10:80',
      listenerAddress: '127.0.0.1:15001',
    }),
    startTime: Date.UTC(2024, 0, 2, 3, 4, 5, 6),
    ...over,
  };
}

describe('formatAccessLog', () => {
  it('renders an HTTP request exactly like Istio', () => {
    const line = formatAccessLog(
      info({
        method: 'GET',
        path: '/status/200',
        protocol: 'HTTP/1.1',
        responseCode: 200,
        responseCodeDetails: 'via_upstream',
        bytesReceived: 0,
        bytesSent: 59,
        durationMs: 10.7,
        upstreamServiceTimeMs: 6.2,
        userAgent: 'curl/8.14.1',
        requestId: '0432d33a-0ffb-94fc-98fc-b9b322d5eaa3',
        authority: 'mock-server:8080',
        upstreamHost: '10.244.1.4:8080',
        cluster: 'outbound|8080||mock-server.default.svc.cluster.local',
        upstreamLocal: '10.244.2.3:45178',
        routeName: 'default',
      }),
    );
    expect(line).toBe(
      '[2024-01-02T03:04:05.006Z] "GET /status/200 HTTP/1.1" 200 - via_upstream - "-" 0 59 10 6 "-" "curl/8.14.1" ' +
        '"0432d33a-0ffb-94fc-98fc-b9b322d5eaa3" "mock-server:8080" "10.244.1.4:8080" ' +
        'outbound|8080||mock-server.default.svc.cluster.local 10.244.2.3:45178 10.96.0.10:80 10.244.0.5:40000 - default\n',
    );
  });

  it('renders a TCP connection with dashes where HTTP fields would be', () => {
    const line = formatAccessLog(
      info({ kind: 'tcp', bytesReceived: 956, bytesSent: 5080, durationMs: 12, upstreamHost: '10.0.0.1:443', cluster: 'PassthroughCluster', upstreamLocal: '10.0.0.2:53530', downstreamLocal: '10.0.0.1:443', downstreamRemote: '10.0.0.2:53528' }),
    );
    expect(line).toBe('[2024-01-02T03:04:05.006Z] "- - -" 0 - - - "-" 956 5080 12 - "-" "-" "-" "-" "10.0.0.1:443" PassthroughCluster 10.0.0.2:53530 10.0.0.1:443 10.0.0.2:53528 - -\n');
  });

  it('underscores spaces in details and transport failure reason', () => {
    const f = { reason: 'remote connection failure', transport: 'delayed connect error: Connection refused' };
    const line = formatAccessLog(info({ responseCode: 503, flags: ['URX', 'UF'], responseCodeDetails: resetDetails(f), upstreamTransportFailureReason: f.transport }));
    expect(line).toContain(' 503 UF,URX upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused} - "delayed_connect_error:_Connection_refused" ');
    expect(resetBody(f, false)).toBe('upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused');
    expect(resetBody({ reason: 'connection termination' }, true)).toBe('upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection termination');
  });

  it('documents the format it implements', () => {
    expect(ISTIO_TEXT_LOG_FORMAT.split(' ').length).toBe(formatAccessLog(info({})).split(' ').length);
  });
});

describe('formatFlags', () => {
  it('uses Envoy order and "-" for none', () => {
    expect(formatFlags([])).toBe('-');
    expect(formatFlags(['NR'])).toBe('NR');
    expect(formatFlags(['URX', 'UF'])).toBe('UF,URX');
    expect(formatFlags(['DC', 'UH', 'UT', 'UC'])).toBe('UH,UT,UC,DC');
  });
});

describe('LineBatcher', () => {
  it('writes once per event-loop turn', async () => {
    const writes: string[] = [];
    const batch = new LineBatcher((t) => writes.push(t));
    batch.push('a\n');
    batch.push('b\n');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\n']);
  });
});

describe('LineBatcher with a minimum interval', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a line after a quiet spell on the next turn, then at most once per interval', async () => {
    vi.useFakeTimers();
    const writes: string[] = [];
    const batch = new LineBatcher((t) => writes.push(t), 25);
    batch.push('a\n');
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual(['a\n']);
    batch.push('b\n');
    batch.push('c\n');
    await vi.advanceTimersByTimeAsync(10);
    expect(writes).toEqual(['a\n']);
    await vi.advanceTimersByTimeAsync(15);
    expect(writes).toEqual(['a\n', 'b\nc\n']);
    batch.push('d\n');
    batch.flush();
    expect(writes).toEqual(['a\n', 'b\nc\n', 'd\n']);
    await vi.advanceTimersByTimeAsync(100);
    expect(writes).toHaveLength(3);
  });

  it('never holds more than 4096 lines', () => {
    const writes: string[] = [];
    const batch = new LineBatcher((t) => writes.push(t), 60_000);
    for (let i = 0; i < 4096; i++) batch.push('x\n');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(2 * 4096);
    batch.flush();
  });
});

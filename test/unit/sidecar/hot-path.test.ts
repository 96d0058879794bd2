// The per-request fast paths: cached timestamps, lazy flow events, cached metric labels, TCP_NODELAY.
import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../../src-pod/sidecar/config';
import { ProxyContext } from '../../../src-pod/sidecar/context';
import { FlowLog, flowEvent, toFlowEvent, type FlowEvent } from '../../../src-pod/sidecar/flow-events';
import { IstioMetrics } from '../../../src-pod/sidecar/prometheus';
import { compileTable } from '../../../src-pod/sidecar/routing';
import { EnvoyStats } from '../../../src-pod/sidecar/stats';
import { isoTime, newStreamInfo, snapshotStreamInfo, type StreamInfo } from '../../../src-pod/sidecar/stream-info';
import { baseConfig, closeServer, httpVia, listenHttp, listenTcp, readUntil, startSidecar, tcpVia, waitFor } from './helpers';

function info(over: Partial<StreamInfo> = {}): StreamInfo {
  return Object.assign(
    newStreamInfo({
      kind: 'http',
      direction: 'outbound',
      listener: 'virtualOutbound',
      filterChain: '10.96.0.10_80',
      connectionId: 3,
      downstreamRemote: '10.244.0.5:40000',
      downstreamLocal: '10.96.0.10:80',
      listenerAddress: '127.0.0.1:15001',
    }),
    over,
  );
}

function finished(over: Partial<StreamInfo> = {}): StreamInfo {
  return info({
    startTime: Date.UTC(2024, 0, 2, 3, 4, 5, 6),
    method: 'POST',
    path: '/anything',
    protocol: 'HTTP/1.1',
    authority: 'httpbin',
    requestId: 'id-1',
    userAgent: 'curl/8',
    routeName: 'default',
    cluster: 'outbound|80||httpbin.default.svc.cluster.local',
    upstreamHost: '10.244.1.4:8080',
    upstreamLocal: '10.244.0.5:51000',
    upstreamConnectMs: 0.41234,
    firstUpstreamByteMs: 1.5,
    durationMs: 2.25,
    responseCode: 200,
    responseCodeDetails: 'via_upstream',
    bytesReceived: 1024,
    bytesSent: 300,
    attempts: 1,
    ...over,
  });
}

describe('isoTime', () => {
  it('matches Date#toISOString, across seconds and for every millisecond width', () => {
    const base = Date.UTC(2024, 1, 29, 23, 59, 58, 0);
    for (const ms of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1999, 2000, 2005, 12_345]) {
      expect(isoTime(base + ms)).toBe(new Date(base + ms).toISOString());
    }
    // Going back in time (a record started earlier) must not reuse the newer second.
    expect(isoTime(base - 1)).toBe(new Date(base - 1).toISOString());
    expect(isoTime(base + 0.9)).toBe(new Date(base + 0.9).toISOString());
  });

  it('falls back to toISOString for dates outside YYYY (and throws like it for NaN)', () => {
    expect(isoTime(-1)).toBe(new Date(-1).toISOString());
    const far = Date.UTC(12_000, 0, 1);
    expect(isoTime(far)).toBe(new Date(far).toISOString());
    expect(isoTime(Date.UTC(2024, 0, 1, 0, 0, 0, 7))).toBe('2024-01-01T00:00:00.007Z');
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});

describe('newStreamInfo / snapshotStreamInfo', () => {
  it('starts every record with the same fields and a fresh flags array', () => {
    const a = info();
    const b = info();
    expect(Object.keys(a)).toEqual(Object.keys(b));
    expect(a.flags).not.toBe(b.flags);
    expect(a).toMatchObject({ bytesReceived: 0, bytesSent: 0, responseCode: 0, flags: [], connectionId: 3 });
    expect(a.startTime).toBeGreaterThan(0);
  });

  it('takes a copy that later changes to the record do not reach', () => {
    const live = finished({ flags: ['UF'] });
    const snap = snapshotStreamInfo(live);
    expect(snap).toEqual(live);
    live.bytesSent = 999;
    live.flags.push('URX');
    live.responseCode = 503;
    expect(snap.bytesSent).toBe(300);
    expect(snap.flags).toEqual(['UF']);
    expect(snap.responseCode).toBe(200);
    // No flags: a shared empty list, still not the record's own.
    const plain = info();
    expect(snapshotStreamInfo(plain).flags).not.toBe(plain.flags);
  });
});

describe('FlowLog.record (lazy events)', () => {
  it('serves exactly what toFlowEvent would have built at record time', () => {
    const log = new FlowLog();
    const conn = info({ kind: 'tcp' });
    log.record('connection.open', conn, 'sniffing');
    const req = finished();
    log.record('request', req);
    const expected = [
      { seq: 1, ...toFlowEvent('connection.open', conn, 'sniffing') },
      { seq: 2, ...toFlowEvent('request', req) },
    ];
    // Changes after publishing do not rewrite history.
    conn.bytesReceived = 77;
    req.flags.push('DC');
    const got = log.since(0);
    expect(got).toEqual(expected);
    expect(got.map((e) => JSON.stringify(e))).toEqual(expected.map((e) => JSON.stringify(e)));
    expect(Object.keys(got[1])[0]).toBe('seq');
    expect(got[1].http).toMatchObject({ method: 'POST', path: '/anything', attempts: 1 });
    expect(log.since(1).map((e) => e.seq)).toEqual([2]);
    // Built once: a second read returns the same objects.
    expect(log.since(0)[1]).toBe(got[1]);
  });

  it('streams the same NDJSON line to subscribers as the eager path did', () => {
    const log = new FlowLog();
    const lines: string[] = [];
    log.subscribe((l) => lines.push(l));
    const req = finished({ flags: ['UF', 'URX'], responseCode: 503 });
    log.record('request', req);
    expect(lines).toEqual([`${JSON.stringify({ seq: 1, ...toFlowEvent('request', req) })}\n`]);
    expect(JSON.parse(lines[0]) as FlowEvent).toMatchObject({ response: { code: 503, flags: 'UF,URX' } });
  });

  it('keeps seq order through the ring, mixing built and lazy events', () => {
    const log = new FlowLog(3);
    log.publish(toFlowEvent('request', finished({ path: '/1' })));
    for (let i = 2; i <= 5; i++) log.record('request', finished({ path: `/${i}` }));
    expect(log.lastSeq).toBe(5);
    const got = log.since(0);
    expect(got.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(got.map((e) => e.http?.path)).toEqual(['/3', '/4', '/5']);
  });

  it('flowEvent puts seq first and equals seq + toFlowEvent', () => {
    const s = finished();
    expect(flowEvent(9, 'request', s)).toEqual({ seq: 9, ...toFlowEvent('request', s) });
    expect(JSON.stringify(flowEvent(9, 'request', s))).toBe(JSON.stringify({ seq: 9, ...toFlowEvent('request', s) }));
  });

  it('ProxyContext.requestDone records the request event', () => {
    const ctx = new ProxyContext({ accessLogWrite: () => undefined });
    const req = finished();
    ctx.requestDone(req);
    expect(ctx.flows.since(0)).toEqual([{ seq: 1, ...toFlowEvent('request', req) }]);
  });
});

describe('IstioMetrics label cache', () => {
  const pod = { name: 'p', namespace: 'ns', ip: '1.1.1.1', workload: 'w1' };

  it('keeps series apart by what the labels depend on', () => {
    const m = new IstioMetrics(() => pod);
    const pass = (authority: string | undefined, code = 200): StreamInfo =>
      finished({ cluster: 'PassthroughCluster', service: undefined, authority, responseCode: code });
    m.recordRequest(pass('a.example:80'));
    m.recordRequest(pass('a.example:80'));
    m.recordRequest(pass('b.example'));
    m.recordRequest(pass(undefined));
    m.recordRequest(pass('a.example:80', 503));
    m.recordRequest(finished({ service: 'httpbin.default.svc.cluster.local', flags: ['UF'], responseCode: 503 }));
    m.recordRequest(finished({ service: 'httpbin.default.svc.cluster.local', direction: 'inbound' }));
    const text = m.render(new EnvoyStats());
    const total = (needle: string): string[] => text.split('\n').filter((l) => l.startsWith('istio_requests_total{') && l.includes(needle));
    expect(total('destination_service="a.example"')).toHaveLength(2);
    expect(total('destination_service="a.example"').find((l) => l.includes('response_code="200"'))).toMatch(/ 2$/);
    expect(total('destination_service="b.example"')).toHaveLength(1);
    expect(total('destination_service="unknown",destination_service_name="PassthroughCluster"')).toHaveLength(1);
    expect(total('response_flags="UF"')[0]).toContain('destination_service_name="httpbin",destination_service_namespace="default"');
    expect(total('reporter="destination"')[0]).toContain('destination_workload="w1"');
  });

  it('picks up a new pod (config push) for later requests', () => {
    let current = pod;
    const m = new IstioMetrics(() => current);
    m.recordRequest(finished());
    current = { ...pod, workload: 'w2' };
    m.recordRequest(finished());
    const text = m.render(new EnvoyStats());
    expect(text).toMatch(/istio_requests_total\{reporter="source",source_workload="w1",.*\} 1\n/);
    expect(text).toMatch(/istio_requests_total\{reporter="source",source_workload="w2",.*\} 1\n/);
  });
});

describe('TCP_NODELAY on proxied connections', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sets it on the upstream agent and on both sides of HTTP and TCP', async () => {
    // [localPort, remotePort] of each socket, read while it is open.
    const calls: [number | undefined, number | undefined][] = [];
    const orig = Socket.prototype.setNoDelay;
    vi.spyOn(Socket.prototype, 'setNoDelay').mockImplementation(function (this: Socket, noDelay?: boolean) {
      if (noDelay !== false) {
        if (this.connecting) this.once('connect', () => calls.push([this.localPort, this.remotePort]));
        else calls.push([this.localPort, this.remotePort]);
      }
      return orig.call(this, noDelay);
    });
    const up = await listenHttp();
    const echo = await listenTcp((s) => s.pipe(s));
    const h = await startSidecar(baseConfig());
    try {
      expect((h.sidecar.ctx.agent as unknown as { options: { noDelay?: boolean } }).options.noDelay).toBe(true);
      const r = await httpVia(h, h.ports.outbound, { address: '127.0.0.1', port: up.port }, { path: '/x' });
      expect(r.status).toBe(200);
      // Downstream (accepted on the listener) and upstream (to the app) sockets.
      expect(calls.some(([local]) => local === h.ports.outbound)).toBe(true);
      expect(calls.some(([, remote]) => remote === up.port)).toBe(true);

      calls.length = 0;
      const s = await tcpVia(h, h.ports.outbound, { address: '127.0.0.1', port: echo.port });
      s.end('ping');
      expect(await readUntil(s, () => false)).toBe('ping');
      await waitFor(() => calls.some(([, remote]) => remote === echo.port) && calls.some(([local]) => local === h.ports.outbound));
    } finally {
      await h.close();
      await closeServer(up.server);
      await closeServer(echo.server);
    }
  });
});

describe('ProxyContext', () => {
  it('writes the access log line with the cached timestamp', async () => {
    const lines: string[] = [];
    const ctx = new ProxyContext({ accessLogWrite: (t) => lines.push(t) });
    // The mesh's accessLogFile turns the log on (Istio's default profile has none).
    ctx.table = compileTable(validateConfig(baseConfig()));
    ctx.requestDone(finished());
    await ctx.flushLogs();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[2024-01-02T03:04:05\.006Z\] "POST \/anything HTTP\/1\.1" 200 - via_upstream - "-" 1024 300 2 - /);
  });
});

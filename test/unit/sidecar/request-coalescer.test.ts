// The capture's stream under load: a rate of request events pass, the rest fold into exact per-connection summaries.
import { describe, expect, it } from 'vitest';
import { FlowLog, type FlowEvent } from '../../../src-pod/sidecar/flow-events';
import { RequestCoalescer, type RequestFigures } from '../../../src-pod/sidecar/request-coalescer';
import { newStreamInfo, type StreamInfo } from '../../../src-pod/sidecar/stream-info';

const ok: RequestFigures = { code: 200, flags: '-', received: 1024, sent: 1024, durationMs: 0.5 };

describe('RequestCoalescer', () => {
  it('passes a burst of one second\'s rate, then refills at the rate', () => {
    let t = 0;
    const c = new RequestCoalescer<string>({ ratePerSecond: 4, flushMs: 1000 }, () => t);
    const passed = Array.from({ length: 10 }, (_, i) => c.offer(1, ok, `r${i}`));
    expect(passed).toEqual([true, true, true, true, false, false, false, false, false, false]);
    t = 500; // half a second: two tokens
    expect([c.offer(1, ok, 'a'), c.offer(1, ok, 'b'), c.offer(1, ok, 'c')]).toEqual([true, true, false]);
  });

  it('counts every folded request by code, flags, bytes and duration, per connection, described by the last', () => {
    let t = 0;
    const c = new RequestCoalescer<string>({ ratePerSecond: 1, flushMs: 1000 }, () => t);
    expect(c.offer(1, ok, 'first')).toBe(true);
    c.offer(1, ok, 'x1');
    c.offer(2, { code: 503, flags: 'UF', received: 10, sent: 0, durationMs: 7 }, 'y1');
    c.offer(1, { ...ok, durationMs: 2.5 }, 'x2');
    expect(c.waiting).toBe(2);
    expect(c.take(1)).toEqual({ connectionId: 1, requests: 2, codes: { 200: 2 }, flags: { '-': 2 }, bytes: { received: 2048, sent: 2048 }, durationMs: { max: 2.5, sum: 3 }, last: 'x2' });
    expect(c.take(1)).toBeUndefined();
    expect(c.due()).toEqual([]);
    t = 999;
    expect(c.due()).toEqual([]);
    t = 1000;
    expect(c.due()).toMatchObject([{ connectionId: 2, requests: 1, codes: { 503: 1 }, flags: { UF: 1 }, last: 'y1' }]);
    expect(c.waiting).toBe(0);
  });
});

function request(connectionId: number, path: string): StreamInfo {
  return Object.assign(
    newStreamInfo({ kind: 'http', direction: 'outbound', listener: 'virtualOutbound', filterChain: 'x', connectionId, downstreamRemote: '10.244.0.5:40000', downstreamLocal: '10.96.0.10:80', listenerAddress: '127.0.0.1:15001' }),
    { method: 'POST', path, responseCode: 200, bytesReceived: 1024, bytesSent: 1024, durationMs: 1, cluster: 'outbound|80||server' },
  );
}

describe('FlowLog with a coalescing stream', () => {
  it('sends the rate, then one summary per connection before its close and when due; other streams get every event', () => {
    let t = 0;
    const log = new FlowLog(10_000, () => t);
    const coalesced: FlowEvent[] = [];
    const all: FlowEvent[] = [];
    const stop = log.subscribe((l) => coalesced.push(JSON.parse(l) as FlowEvent), 2);
    log.subscribe((l) => all.push(JSON.parse(l) as FlowEvent));
    for (let i = 0; i < 5; i++) log.record('request', request(1, `/a${i}`));
    for (let i = 0; i < 3; i++) log.record('request', request(2, `/b${i}`));
    log.record('connection.close', Object.assign(request(1, '/'), { kind: 'tcp' as const }));
    expect(all.map((e) => e.type)).toEqual([...Array(8).fill('request'), 'connection.close']);
    expect(coalesced.map((e) => `${e.type} ${e.connectionId}`)).toEqual(['request 1', 'request 1', 'request.summary 1', 'connection.close 1']);
    expect(coalesced[2]).toMatchObject({ seq: 5, http: { path: '/a4' }, cluster: 'outbound|80||server', summary: { requests: 3, codes: { 200: 3 }, bytes: { received: 3072, sent: 3072 }, durationMs: { max: 1, avg: 1 } } });
    log.flushDue();
    expect(coalesced).toHaveLength(4);
    t = 1000;
    log.flushDue();
    expect(coalesced.slice(4)).toMatchObject([{ type: 'request.summary', connectionId: 2, summary: { requests: 3 }, http: { path: '/b2' } }]);
    stop();
    log.closeAll();
  });
});

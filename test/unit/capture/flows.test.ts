// Flow-join tests: recorded trace + stand-in proxy events, constructed streams, out-of-order arrival, bounds.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../../src-pod/sidecar/flow-events';
import {
  FlowJoiner,
  RuleIndex,
  parseTraceText,
  type Flow,
  type PacketFields,
  type TraceEvent,
} from '../../../src-main/lab/capture/index';

const fixture = (name: string): string =>
  readFileSync(resolve(import.meta.dirname, '../../fixtures/capture', name), 'utf8');
const traces = parseTraceText(fixture('xtables-trace.txt'));
const proxyEvents = fixture('proxy-events.txt')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as FlowEvent);
const index = RuleIndex.fromSave(fixture('save-after.txt'));

function setup(
  opts: { holdMs?: number; maxFlows?: number; maxPending?: number; maxOpen?: number } = {},
) {
  let t = 0;
  const j = new FlowJoiner({ now: () => t, ...opts });
  j.setRuleIndex(index);
  return {
    j,
    advance: (ms: number) => {
      t += ms;
      j.tick();
    },
    at: (ms: number) => {
      t = ms;
    },
  };
}
const bySport = (flows: Flow[], port: number): Flow | undefined =>
  flows.find((f) => f.kind === 'connection' && f.client.port === port && f.mergedInto === null);

function checkRecorded(flows: Flow[]): void {
  const out = bySport(flows, 38844);
  expect(out).toMatchObject({
    direction: 'outbound',
    verdict: 'intercepted',
    proxySeen: true,
    state: 'closed',
    cluster: 'outbound|80||reviews.default.svc.cluster.local',
    destination: { address: '10.96.0.50', port: 80 },
  });
  expect(out?.legs).toHaveLength(2);
  expect(out?.legs[0]).toMatchObject({
    traced: true,
    hook: 'OUTPUT',
    outcome: 'redirected',
    redirectPort: 15001,
    from: { role: 'app' },
    to: { role: 'proxy', port: 15001 },
  });
  expect(out?.legs[0].decidingRule).toMatchObject({
    table: 'nat',
    chain: 'ISTIO_REDIRECT',
    ruleNumber: 1,
    ruleText: '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001',
  });
  expect(out?.legs[0].rules.map((r) => `${r.chain}#${r.ruleNumber}`)).toEqual([
    'OUTPUT#1',
    'ISTIO_OUTPUT#9',
    'ISTIO_REDIRECT#1',
  ]);
  expect(out?.legs[1]).toMatchObject({
    traced: true,
    outcome: 'returned',
    from: { role: 'proxy', port: 38856 },
    to: { role: 'upstream', address: '10.96.0.50', port: 80 },
  });
  expect(out?.legs[1].decidingRule).toMatchObject({ chain: 'ISTIO_OUTPUT', ruleNumber: 4 });
  expect(out?.bytes).toEqual({ received: 36, sent: 59 });

  // The proxy's own connection (uid 1337, claimed by no flow it serves): the proxy's, not the app's.
  const bypass = bySport(flows, 38872);
  expect(bypass).toMatchObject({ verdict: 'bypassed', proxySeen: false, proxyOwn: true, direction: 'outbound' });
  expect(bypass?.legs[0].from.role).toBe('proxy');
  expect(bypass?.legs[0].decidingRule?.ruleText).toBe(
    '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN',
  );

  const dns = flows.find((f) => f.proto === 'udp');
  expect(dns).toMatchObject({
    verdict: 'bypassed',
    proxyOwn: false,
    destination: { address: '10.96.0.10', port: 53 },
  });
  expect(dns?.legs[0].decidingRule).toMatchObject({
    type: 'policy',
    chain: 'OUTPUT',
    verdict: 'policy:ACCEPT',
  });

  const inbound = bySport(flows, 34188);
  expect(inbound).toMatchObject({
    direction: 'inbound',
    verdict: 'intercepted',
    cluster: 'inbound|9080||',
  });
  expect(inbound?.legs[0]).toMatchObject({
    hook: 'PREROUTING',
    outcome: 'redirected',
    redirectPort: 15006,
    from: { role: 'peer', address: '10.244.0.9' },
  });
  expect(inbound?.legs[1]).toMatchObject({
    outcome: 'returned',
    from: { address: '127.0.0.6' },
    to: { role: 'app', port: 9080 },
  });
  expect(inbound?.legs[1].decidingRule).toMatchObject({
    ruleNumber: 1,
    ruleText: '-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN',
  });

  const local = bySport(flows, 38400);
  // A real bypass (localhost, `! --uid-owner 1337`) stays the app's.
  expect(local).toMatchObject({ verdict: 'bypassed', proxyOwn: false, legs: [{ from: { role: 'app' } }] });
  expect(local?.legs[0].decidingRule?.ruleText).toBe(
    '-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN',
  );
  // Proxy's own upstream SYN is part of the outbound flow, not a flow of its own.
  expect(flows.filter((f) => f.mergedInto === null)).toHaveLength(5);
}

describe('flow join on the recording', () => {
  it('trace first, then the proxy events', () => {
    const { j, advance } = setup();
    traces.forEach((e) => j.addTrace(e));
    proxyEvents.forEach((e) => j.addProxy(e));
    advance(2500);
    checkRecorded(j.flows());
    expect(j.totals()).toMatchObject({
      connections: 5,
      byVerdict: { intercepted: 2, bypassed: 3, blocked: 0 },
      byDirection: { outbound: 4, inbound: 1 },
    });
  });

  it('proxy events first, then the trace (out of order)', () => {
    const { j, advance } = setup();
    proxyEvents.forEach((e) => j.addProxy(e));
    advance(500);
    traces.forEach((e) => j.addTrace(e));
    advance(2500);
    checkRecorded(j.flows());
  });

  it('a trace arriving after the window becomes its own flow', () => {
    const { j, advance } = setup({ holdMs: 1000 });
    proxyEvents.slice(0, 2).forEach((e) => j.addProxy(e));
    advance(1500);
    traces.filter((e) => e.packet.sport === 38844).forEach((e) => j.addTrace(e));
    advance(1500);
    const flows = j.flows();
    expect(flows.find((f) => f.proxySeen)?.legs[0].traced).toBe(false);
    expect(flows.find((f) => !f.proxySeen)).toMatchObject({
      verdict: 'intercepted',
      legs: [{ outcome: 'redirected' }],
    });
  });
});

// --- constructed streams ---
function packet(p: Partial<PacketFields>): PacketFields {
  return {
    in: null,
    out: 'eth0',
    src: '10.244.0.7',
    dst: '10.96.0.1',
    sport: 40000,
    dport: 80,
    proto: 'tcp',
    syn: true,
    ack: false,
    flags: ['SYN'],
    uid: null,
    gid: null,
    mark: null,
    len: 60,
    ipId: 1,
    loopback: false,
    ...p,
  };
}
function trace(
  p: PacketFields,
  chain: string,
  verdictText: string,
  ruleText: string | null,
  type: TraceEvent['type'] = 'rule',
): TraceEvent {
  const [verdict, target] = verdictText.replace('policy:', '').split(':');
  return {
    id: 'x',
    family: 'ipv4',
    table: 'nat',
    chain,
    type,
    handle: 1,
    verdict: verdict as TraceEvent['verdict'],
    target: target ?? null,
    verdictText,
    ruleText,
    redirectPort: null,
    packet: p,
    source: 'xtables-monitor',
  };
}
const redirected = (p: PacketFields): TraceEvent[] => [
  trace(p, 'OUTPUT', 'JUMP:ISTIO_OUTPUT', '-A OUTPUT -j ISTIO_OUTPUT'),
  trace(p, 'ISTIO_OUTPUT', 'JUMP:ISTIO_REDIRECT', '-A ISTIO_OUTPUT -j ISTIO_REDIRECT'),
  trace(p, 'ISTIO_REDIRECT', 'ACCEPT', '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001'),
];
const returned = (p: PacketFields): TraceEvent[] => [
  trace(p, 'OUTPUT', 'JUMP:ISTIO_OUTPUT', '-A OUTPUT -j ISTIO_OUTPUT'),
  trace(p, 'ISTIO_OUTPUT', 'RETURN', '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN'),
  trace(p, 'OUTPUT', 'policy:ACCEPT', null, 'policy'),
];
function proxy(
  type: FlowEvent['type'],
  id: number,
  sport: number,
  extra: Partial<FlowEvent> = {},
): FlowEvent {
  return {
    seq: id,
    type,
    time: '2026-01-01T00:00:00.000Z',
    connectionId: id,
    direction: 'outbound',
    listener: 'virtualOutbound',
    filterChain: 'x',
    protocol: 'tcp',
    downstream: {
      localAddress: '127.0.0.1',
      localPort: 15001,
      remoteAddress: '10.244.0.7',
      remotePort: sport,
    },
    originalDst: { address: '10.96.0.1', port: 80 },
    cluster: 'outbound|80||a.default.svc.cluster.local',
    route: null,
    upstream: null,
    bytes: { received: 0, sent: 0 },
    timings: { startMs: 0, upstreamConnectMs: null, firstByteMs: null, endMs: null },
    response: { code: 0, flags: '-', details: null },
    ...extra,
  };
}

describe('flow join, constructed', () => {
  it('a request summary is one child flow that counts as every request it folds in the totals', () => {
    const { j } = setup();
    const http = { protocol: 'http' as const };
    j.addProxy(proxy('connection.open', 9, 42000, http));
    j.addProxy(proxy('request', 9, 42000, { ...http, response: { code: 200, flags: '-', details: null } }));
    j.addProxy(
      proxy('request.summary', 9, 42000, {
        ...http,
        response: { code: 503, flags: 'UF', details: null },
        summary: { requests: 40, codes: { 200: 37, 503: 3 }, flags: { '-': 37, UF: 3 }, bytes: { received: 40960, sent: 40960 }, durationMs: { max: 9, avg: 1 } },
      }),
    );
    const kids = j.flows().filter((f) => f.kind === 'request');
    expect(kids).toHaveLength(2);
    expect(kids[1]).toMatchObject({ parentId: kids[0].parentId, summary: { requests: 40 }, response: { code: 503 } });
    expect(j.totals()).toMatchObject({ requests: 41, byCodeClass: { '2xx': 38, '5xx': 3 }, byResponseFlags: { '-': 38, UF: 3 }, byDirection: { outbound: 41 } });
  });


  it('BlackHoleCluster with a 502 request is blocked; requests are child flows of their connection', () => {
    const { j, advance } = setup();
    redirected(packet({ sport: 41000 })).forEach((e) => j.addTrace(e));
    const bh = { cluster: 'BlackHoleCluster', protocol: 'http' as const };
    j.addProxy(proxy('connection.open', 7, 41000, bh));
    j.addProxy(
      proxy('request', 7, 41000, {
        ...bh,
        response: { code: 502, flags: '-', details: 'direct_response' },
        http: {
          method: 'GET',
          authority: 'x',
          path: '/',
          protocol: 'HTTP/1.1',
          requestId: null,
          userAgent: null,
          attempts: 1,
        },
      }),
    );
    j.addProxy(proxy('connection.close', 7, 41000, bh));
    advance(3000);
    const [conn, req] = j.flows();
    expect(conn).toMatchObject({
      kind: 'connection',
      verdict: 'blocked',
      cluster: 'BlackHoleCluster',
      state: 'closed',
    });
    expect(conn.legs).toHaveLength(1);
    expect(req).toMatchObject({
      kind: 'request',
      parentId: conn.id,
      connectionId: 7,
      verdict: 'blocked',
      response: { code: 502 },
    });
    expect(req.legs).toBe(conn.legs);
    expect(j.totals()).toMatchObject({
      connections: 1,
      requests: 1,
      byVerdict: { blocked: 2 },
      byCodeClass: { '5xx': 1, '0': 1 },
      byCluster: { BlackHoleCluster: 2 },
    });
  });

  it('a DROP rule blocks without any proxy event', () => {
    const { j, advance } = setup();
    const p = packet({ sport: 42000 });
    j.addTrace(trace(p, 'OUTPUT', 'JUMP:ISTIO_OUTPUT', '-A OUTPUT -j ISTIO_OUTPUT'));
    j.addTrace(trace(p, 'ISTIO_OUTPUT', 'DROP', '-A ISTIO_OUTPUT -d 10.96.0.1/32 -j DROP'));
    advance(2000);
    expect(j.flows()[0]).toMatchObject({
      verdict: 'blocked',
      proxySeen: false,
      legs: [{ outcome: 'dropped' }],
    });
  });

  it('a uid-1337 bypass waits for the proxy to claim it while connections are open, then is emitted as bypassed', () => {
    const { j, advance } = setup();
    j.addProxy(proxy('connection.open', 1, 43000)); // a long-lived connection, no upstream reported yet
    returned(packet({ sport: 43100 })).forEach((e) => j.addTrace(e));
    advance(2500);
    expect(j.flows().filter((f) => !f.proxySeen)).toHaveLength(0);
    expect(j.stats().upstreamPaths).toBe(1);
    advance(8000);
    expect(j.flows().find((f) => f.client.port === 43100)).toMatchObject({
      verdict: 'bypassed',
      proxyOwn: true,
      legs: [{ outcome: 'returned', from: { role: 'proxy' } }],
    });
  });

  it("an excluded port's RETURN is the app's bypass, not the proxy's connection", () => {
    const { j, advance } = setup();
    j.addProxy(proxy('connection.open', 1, 43500)); // connections open: a proxy SYN would wait
    const p = packet({ sport: 43600, dport: 3306 });
    j.addTrace(trace(p, 'OUTPUT', 'JUMP:ISTIO_OUTPUT', '-A OUTPUT -j ISTIO_OUTPUT'));
    j.addTrace(trace(p, 'ISTIO_OUTPUT', 'RETURN', '-A ISTIO_OUTPUT -p tcp -m multiport --dports 3306 -j RETURN'));
    j.addTrace(trace(p, 'OUTPUT', 'policy:ACCEPT', null, 'policy'));
    advance(2500);
    expect(j.flows().find((f) => f.client.port === 43600)).toMatchObject({
      verdict: 'bypassed',
      proxyOwn: false,
      legs: [{ outcome: 'returned', from: { role: 'app' } }],
    });
  });

  it('the proxy claims its upstream SYN when it reports the upstream after the holding window', () => {
    const { j, advance } = setup();
    j.addProxy(proxy('connection.open', 1, 44000));
    redirected(packet({ sport: 44000 })).forEach((e) => j.addTrace(e));
    returned(packet({ sport: 44100, dst: '10.244.1.5', dport: 8080 })).forEach((e) =>
      j.addTrace(e),
    );
    advance(5000);
    j.addProxy(
      proxy('connection.close', 1, 44000, {
        upstream: {
          localAddress: '10.244.0.7',
          localPort: 44100,
          remoteAddress: '10.244.1.5',
          remotePort: 8080,
        },
      }),
    );
    advance(20_000);
    const flows = j.flows();
    expect(flows).toHaveLength(1);
    expect(flows[0].legs.map((l) => l.outcome)).toEqual(['redirected', 'returned']);
  });

  it('a redirected SYN emitted alone is folded into a late proxy event', () => {
    const { j, advance } = setup();
    redirected(packet({ sport: 45000 })).forEach((e) => j.addTrace(e));
    advance(2500);
    expect(j.flows()[0]).toMatchObject({ verdict: 'intercepted', proxySeen: false });
    expect(j.totals().connections).toBe(1);
    j.addProxy(proxy('connection.open', 3, 45000));
    const flows = j.flows();
    expect(flows[0].mergedInto).toBe(flows[1].id);
    expect(flows[1].legs[0]).toMatchObject({ traced: true, outcome: 'redirected' });
    expect(j.totals().connections).toBe(0);
  });

  it('stays bounded over 200k connections', () => {
    const { j, at } = setup({ maxFlows: 5000, maxPending: 1000, maxOpen: 1000 });
    let maxPending = 0;
    for (let i = 0; i < 200_000; i++) {
      at(i); // 1000 new connections per second of joiner time
      const sport = 10000 + (i % 50000);
      const dst = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const p = packet({ sport, dst });
      if (i % 3 === 0) {
        returned(p).forEach((e) => j.addTrace(e)); // bypass
      } else {
        redirected(p).forEach((e) => j.addTrace(e));
        const ev = proxy('connection.open', i, sport, { originalDst: { address: dst, port: 80 } });
        j.addProxy(ev);
        // Every 10th connection never closes: the open map must cap.
        if (i % 10 !== 1) j.addProxy({ ...ev, type: 'connection.close' });
      }
      const s = j.stats();
      maxPending = Math.max(maxPending, s.paths, s.upstreamPaths, s.awaitTrace, s.orphans, s.open);
    }
    const s = j.stats();
    expect(s.flows).toBe(5000);
    expect(maxPending).toBeLessThanOrEqual(1001);
    expect(s.open).toBeLessThanOrEqual(1000);
    const t = j.totals();
    expect(Object.keys(t.byCluster).length).toBeLessThanOrEqual(256);
    expect(t.connections).toBeGreaterThan(190_000);
  }, 120_000);
});

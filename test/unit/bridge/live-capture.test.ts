import { afterEach, describe, expect, it, vi } from 'vitest';
import { contractLegs, FlowBatcher, toContractFlow } from '../../../src-main/bridge/live-capture';
import type { Flow as CapturedFlow, Leg, RuleHit } from '../../../src-main/lab/capture';

const hit = (chain: string, ruleNumber: number, ruleText: string, verdict: string): RuleHit => ({
  table: 'nat',
  chain,
  type: 'rule',
  ruleNumber,
  handle: null,
  ruleText,
  verdict,
});

const outputJump = hit('OUTPUT', 1, '-A OUTPUT -j ISTIO_OUTPUT', 'JUMP:ISTIO_OUTPUT');
const redirect = hit('ISTIO_REDIRECT', 1, '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001', 'ACCEPT');
const proxyReturn = hit('ISTIO_OUTPUT', 4, '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN', 'RETURN');
const appReturn = hit('ISTIO_OUTPUT', 1, '-A ISTIO_OUTPUT -p tcp --dport 80 -j RETURN', 'RETURN');

function leg(from: Leg['from'], to: Leg['to'], rules: RuleHit[]): Leg {
  return { from, to, hook: 'output', rules, decidingRule: rules.at(-1) ?? null, outcome: 'redirected', redirectPort: 15001, traced: true };
}

function flow(verdict: CapturedFlow['verdict'], legs: Leg[], listener: string | null): CapturedFlow {
  return {
    id: 7, kind: 'connection', parentId: null, connectionId: 3, direction: 'outbound', proto: 'tcp', verdict,
    proxySeen: listener !== null, proxyOwn: false, state: 'closed',
    client: { address: '10.244.0.2', port: 40000 }, destination: { address: '10.96.0.100', port: 80 },
    listener, cluster: listener ? 'outbound|80||httpbin.default.svc.cluster.local' : null, route: null,
    upstream: listener ? { localAddress: '10.244.0.2', localPort: 41000, remoteAddress: '10.244.0.3', remotePort: 80 } : null,
    response: listener ? { code: 200, flags: '-', details: 'via_upstream' } : null,
    bytes: { received: 10, sent: 20 }, timings: { startMs: 1_700_000_000_000, upstreamConnectMs: 1, firstByteMs: 2, endMs: 3 },
    http: null, mergedInto: null, firstSeen: 1_700_000_000_001, updated: 1_700_000_000_002, legs,
  };
}

const app = { role: 'app' as const, address: '10.244.0.2', port: 40000 };

describe('flows for the window', () => {
  it('draws an intercepted connection as: into OUTPUT, REDIRECT, the listener, the upstream leg', () => {
    const f = flow('intercepted', [
      leg(app, { role: 'proxy', address: '127.0.0.1', port: 15001 }, [outputJump, redirect]),
      leg({ role: 'proxy', address: '10.244.0.2', port: 41000 }, { role: 'upstream', address: '10.244.0.3', port: 80 }, [outputJump, proxyReturn]),
    ], 'virtualOutbound');
    const legs = contractLegs(f);
    expect(legs.map((l) => `${l.from} > ${l.to} ${l.chain ?? ''}#${l.ruleNumber ?? ''}`)).toEqual([
      'app 10.244.0.2:40000 > nat OUTPUT OUTPUT#1',
      'nat OUTPUT > proxy 127.0.0.1:15001 ISTIO_REDIRECT#1',
      'proxy 127.0.0.1:15001 > istio-proxy virtualOutbound #',
      'proxy 10.244.0.2:41000 > upstream 10.244.0.3:80 ISTIO_OUTPUT#4',
    ]);
    const c = toContractFlow({ namespace: 'default', pod: 'sleep-1' }, f);
    expect(c).toMatchObject({ id: 'default/sleep-1#7', verdict: 'intercepted', destination: '10.96.0.100:80', upstream: '10.244.0.3:80', responseCode: 200 });
    expect(c.timings.startedAt).toBe(new Date(1_700_000_000_000).toISOString());
  });

  it('draws a bypass as: into OUTPUT, then the RETURN that skipped the proxy', () => {
    const legs = contractLegs(flow('bypassed', [leg(app, { role: 'destination', address: '10.96.0.100', port: 80 }, [outputJump, appReturn])], null));
    expect(legs.map((l) => `${l.chain}#${l.ruleNumber}`)).toEqual(['OUTPUT#1', 'ISTIO_OUTPUT#1']);
    expect(legs[1].ruleText).toBe('-A ISTIO_OUTPUT -p tcp --dport 80 -j RETURN');
    expect(toContractFlow({ namespace: 'default', pod: 'sleep-1' }, flow('bypassed', [], null)).proxyOwn).toBeUndefined();
  });

  it('keeps every rule the first packet matched, the jump into ISTIO_REDIRECT included, beside the drawn hops', () => {
    const jump = hit('ISTIO_OUTPUT', 12, '-A ISTIO_OUTPUT -p tcp -m tcp --dport 80 -j ISTIO_REDIRECT', 'JUMP:ISTIO_REDIRECT');
    const c = toContractFlow({ namespace: 'default', pod: 'sleep-1' }, flow('intercepted', [leg(app, { role: 'proxy', address: '127.0.0.1', port: 15001 }, [outputJump, jump, redirect])], 'virtualOutbound'));
    expect(c.rules).toEqual(['-A OUTPUT -j ISTIO_OUTPUT', '-A ISTIO_OUTPUT -p tcp -m tcp --dport 80 -j ISTIO_REDIRECT', '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001']);
    expect(c.legs.map((l) => l.ruleText)).not.toContain(jump.ruleText);
  });

  it("marks the proxy's own connection as the proxy's, its hop starting at the proxy", () => {
    const own = flow('bypassed', [leg({ role: 'proxy', address: '10.244.0.2', port: 41000 }, { role: 'destination', address: '10.96.0.5', port: 15012 }, [outputJump, proxyReturn])], null);
    own.proxyOwn = true;
    const c = toContractFlow({ namespace: 'default', pod: 'sleep-1' }, own);
    expect(c).toMatchObject({ verdict: 'bypassed', proxyOwn: true, pod: 'sleep-1' });
    expect(c.legs[0].from).toBe('proxy 10.244.0.2:41000');
  });

  it('says how many requests a folded row stands for, and nothing on an ordinary one', () => {
    const folded = flow('intercepted', [], 'virtualOutbound');
    expect(toContractFlow({ namespace: 'default', pod: 'sleep-1' }, folded).requests).toBeUndefined();
    folded.summary = { requests: 950, codes: { 200: 950 }, flags: { '-': 950 }, bytes: { received: 0, sent: 0 }, durationMs: { max: 3, avg: 1 } };
    expect(toContractFlow({ namespace: 'default', pod: 'sleep-1' }, folded).requests).toBe(950);
  });
});

describe('FlowBatcher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const pod = { namespace: 'default', pod: 'sleep-1' };

  it("sends a flow's changes within the window once, as they stand at its end", async () => {
    vi.useFakeTimers();
    const sent: ReturnType<typeof toContractFlow>[] = [];
    const batcher = new FlowBatcher((f) => sent.push(f), 20);
    const f = flow('intercepted', [leg(app, { role: 'proxy', address: '127.0.0.1', port: 15001 }, [outputJump, redirect])], 'virtualOutbound');
    f.response = null;
    batcher.add(pod, f);
    f.response = { code: 503, flags: 'UF', details: 'upstream_reset_before_response_started' };
    batcher.add(pod, f);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20);
    expect(sent.map((x) => [x.id, x.responseCode, x.responseFlags])).toEqual([['default/sleep-1#7', 503, 'UF']]);
    // A later change is a new window: sent again.
    batcher.add(pod, f);
    await vi.advanceTimersByTimeAsync(20);
    expect(sent).toHaveLength(2);
  });

  it('sends at once after a quiet spell, and waits out the window while changes keep coming', async () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const batcher = new FlowBatcher((f) => sent.push(f.responseCode ?? 0), 20);
    const f = flow('intercepted', [], 'virtualOutbound');
    batcher.add(pod, f);
    await Promise.resolve();
    expect(sent).toEqual([200]);
    f.response = { code: 503, flags: 'UF', details: null };
    batcher.add(pod, f);
    await vi.advanceTimersByTimeAsync(19);
    expect(sent).toEqual([200]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([200, 503]);
  });

  it('sends a new flow at once, inside the window too, with the changes pending by then', async () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const batcher = new FlowBatcher((f) => sent.push(`${f.id}:${f.responseCode ?? '-'}`), 20);
    const first = flow('intercepted', [], 'virtualOutbound');
    batcher.add(pod, first, 'new');
    await Promise.resolve();
    first.response = { code: 503, flags: 'UF', details: null };
    batcher.add(pod, first, 'update');
    await vi.advanceTimersByTimeAsync(5);
    expect(sent).toEqual(['default/sleep-1#7:200']);
    // 5 ms into the window: a new flow still goes at once, and takes the pending update along.
    const second = { ...flow('intercepted', [], 'virtualOutbound'), id: 8 };
    batcher.add(pod, second, 'new');
    await Promise.resolve();
    expect(sent).toEqual(['default/sleep-1#7:200', 'default/sleep-1#7:503', 'default/sleep-1#8:200']);
    // Nothing is left for the window's timer.
    await vi.advanceTimersByTimeAsync(20);
    expect(sent).toHaveLength(3);
  });

  it('keeps flows of different pods apart and flushes what is pending on demand', () => {
    const sent: string[] = [];
    const batcher = new FlowBatcher((f) => sent.push(f.id), 1_000);
    const f = flow('bypassed', [leg(app, { role: 'upstream', address: '10.96.0.100', port: 80 }, [outputJump, appReturn])], null);
    batcher.add(pod, f);
    batcher.add({ namespace: 'default', pod: 'httpbin-1' }, f);
    batcher.flush();
    expect(sent).toEqual(['default/sleep-1#7', 'default/httpbin-1#7']);
    batcher.flush();
    expect(sent).toHaveLength(2);
  });
});

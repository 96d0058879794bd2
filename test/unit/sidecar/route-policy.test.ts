// The router's local replies and their response flags, as Envoy sets them (NR, NC, UH; none for a direct response).
import { describe, expect, it } from 'vitest';
import { exhaustedByFailures, NO_HEALTHY_UPSTREAM, retryConnectFailure, retryOnStatus, routeTarget, type RetryState } from '../../../src-pod/sidecar/http/route-policy';

describe('routeTarget', () => {
  it('answers 404 NR without a route, 503 NC for a missing cluster, the direct status without a flag', () => {
    expect(routeTarget(undefined)).toEqual({ reply: { code: 404, body: '', details: 'route_not_found', flag: 'NR' } });
    expect(routeTarget({ name: 'default', missingCluster: 'outbound|80||gone', timeoutMs: 0, retries: 0 })).toEqual({ reply: { code: 503, body: '', details: 'cluster_not_found', flag: 'NC' } });
    expect(routeTarget({ name: 'block_all', directStatus: 502, timeoutMs: 0, retries: 0 })).toEqual({ reply: { code: 502, body: '', details: 'direct_response' } });
    const cluster = { name: 'PassthroughCluster', endpoints: [], originalDst: true, rr: 0 };
    expect(routeTarget({ name: 'allow_any', cluster, timeoutMs: 0, retries: 0 })).toEqual({ cluster });
    expect(NO_HEALTHY_UPSTREAM).toMatchObject({ code: 503, flag: 'UH', body: 'no healthy upstream' });
  });
});

describe('the retry policy both engines use (Istio: 2 retries on connect-failure and 503)', () => {
  const s = (over: Partial<RetryState> = {}): RetryState => ({ attempt: 1, retries: 2, bodyComplete: true, bufferOverflow: false, downstreamGone: false, ...over });

  it('retries a 503 while the budget lasts, then flags the last one exhausted (URX)', () => {
    expect(retryOnStatus(503, s())).toBe('retry');
    expect(retryOnStatus(503, s({ attempt: 2 }))).toBe('retry');
    expect(retryOnStatus(503, s({ attempt: 3 }))).toBe('exhausted');
    expect(retryOnStatus(200, s())).toBe('deliver');
    expect(retryOnStatus(502, s())).toBe('deliver');
    // No budget: a 503 is just an answer.
    expect(retryOnStatus(503, s({ retries: 0 }))).toBe('deliver');
    // A body not yet read whole, past the buffer, or a client gone: delivered, not retried, not URX.
    expect(retryOnStatus(503, s({ bodyComplete: false }))).toBe('deliver');
    expect(retryOnStatus(503, s({ bufferOverflow: true }))).toBe('deliver');
    expect(retryOnStatus(503, s({ downstreamGone: true }))).toBe('deliver');
  });

  it('retries a connect failure, the first attempt even before the body is whole', () => {
    expect(retryConnectFailure(s({ bodyComplete: false }))).toBe(true);
    expect(retryConnectFailure(s({ attempt: 2, bodyComplete: false }))).toBe(false);
    expect(retryConnectFailure(s({ attempt: 3 }))).toBe(false);
    expect(exhaustedByFailures(s({ attempt: 3 }), ['UF'])).toBe(true);
    expect(exhaustedByFailures(s({ attempt: 1 }), ['UF'])).toBe(false);
    expect(exhaustedByFailures(s({ attempt: 3 }), ['UC'])).toBe(false);
  });
});

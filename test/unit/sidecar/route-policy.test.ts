// The router's local replies and their response flags, as Envoy sets them (NR, NC, UH; none for a direct response).
import { describe, expect, it } from 'vitest';
import { NO_HEALTHY_UPSTREAM, routeTarget } from '../../../src-pod/sidecar/http/route-policy';

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

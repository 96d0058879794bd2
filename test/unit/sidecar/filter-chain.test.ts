// The HTTP filter list both engines run: Istio's order, the router last, and what each filter adds or owns.
import { describe, expect, it } from 'vitest';
import { FILTER_OWNED_REQUEST_HEADERS, HTTP_FILTERS, httpFiltersXds, requestHeaderLines, requestHeaderPairs } from '../../../src-pod/sidecar/http/filter-chain';
import type { HeaderPolicy } from '../../../src-pod/sidecar/http/header-policy';

const facts = { hasForwardedProto: false, hasRequestId: false, requestId: 'rid', attempt: 2, decorator: 'web.mesh.svc.cluster.local:80/*' };

describe('the HTTP filter chain', () => {
  it("is Istio's sidecar list, the router last; the dump shows the router", () => {
    expect(HTTP_FILTERS.map((f) => f.name)).toEqual(['istio.metadata_exchange', 'istio.stats', 'envoy.filters.http.router']);
    expect(httpFiltersXds()).toEqual([{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }]);
    expect([...FILTER_OWNED_REQUEST_HEADERS].sort()).toEqual(['x-envoy-attempt-count', 'x-envoy-peer-metadata', 'x-envoy-peer-metadata-id']);
  });

  it("appends the connection manager's headers, then the router's, then each filter's", () => {
    const outbound: HeaderPolicy = { server: 'envoy', direction: 'outbound', peer: ['sidecar~id', 'META'] };
    expect(requestHeaderPairs(outbound, facts)).toEqual([
      'x-forwarded-proto', 'http',
      'x-request-id', 'rid',
      'x-envoy-attempt-count', '2',
      'x-envoy-decorator-operation', 'web.mesh.svc.cluster.local:80/*',
      'x-envoy-peer-metadata-id', 'sidecar~id',
      'x-envoy-peer-metadata', 'META',
    ]);
    const inbound: HeaderPolicy = { server: 'istio-envoy', direction: 'inbound' };
    expect(requestHeaderLines(inbound, { ...facts, hasForwardedProto: true, hasRequestId: true })).toBe('');
    expect(requestHeaderLines(inbound, facts)).toBe('x-forwarded-proto: http\r\nx-request-id: rid\r\n');
  });

  it("ends a request through the filters: istio.stats records it", () => {
    const seen: string[] = [];
    const stats = HTTP_FILTERS.find((f) => f.name === 'istio.stats');
    stats?.onRequestDone?.({ metrics: { recordRequest: (info) => seen.push(String(info.responseCode)) } }, { responseCode: 200 } as never);
    expect(seen).toEqual(['200']);
  });
});

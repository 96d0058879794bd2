// The HTTP filter list both engines run: Istio's order, the router last, and what each filter adds or owns on either side.
import { describe, expect, it } from 'vitest';
import { headerLines, HTTP_FILTERS, httpFiltersXds, OWNED_REQUEST_HEADERS, OWNED_RESPONSE_HEADERS, requestHeaderPairs, responseHeaderPairs } from '../../../src-pod/sidecar/http/filter-chain';
import { httpDate, PEER_ID_RECEIVED, PEER_RECEIVED, type HeaderPolicy } from '../../../src-pod/sidecar/http/header-policy';

const facts = { hasForwardedProto: false, hasRequestId: false, requestId: 'rid', attempt: 2, decorator: 'web.mesh.svc.cluster.local:80/*' };
const outbound: HeaderPolicy = { server: 'envoy', direction: 'outbound', peer: ['sidecar~id', 'META'] };
const inbound: HeaderPolicy = { server: 'istio-envoy', direction: 'inbound', peer: ['sidecar~in', 'INMETA'] };
const upstreamHead = { serviceTimeMs: 3, peerReceived: 0, decorator: 'web.mesh.svc.cluster.local:80/*', hasDate: true, hasServer: true };

describe('the HTTP filter chain', () => {
  it("is Istio's sidecar list, the router last; the dump shows the router", () => {
    expect(HTTP_FILTERS.map((f) => f.name)).toEqual(['istio.metadata_exchange', 'istio.stats', 'envoy.filters.http.router']);
    expect(httpFiltersXds()).toEqual([{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }]);
    expect([...OWNED_REQUEST_HEADERS].sort()).toEqual(['x-envoy-attempt-count', 'x-envoy-decorator-operation', 'x-envoy-peer-metadata', 'x-envoy-peer-metadata-id']);
    expect([...OWNED_RESPONSE_HEADERS].sort()).toEqual(['x-envoy-decorator-operation', 'x-envoy-peer-metadata', 'x-envoy-peer-metadata-id', 'x-envoy-upstream-service-time']);
  });

  it("appends the connection manager's request headers, then each filter's decodeHeaders, the router's last", () => {
    expect(requestHeaderPairs(outbound, facts)).toEqual([
      'x-forwarded-proto', 'http',
      'x-request-id', 'rid',
      'x-envoy-decorator-operation', 'web.mesh.svc.cluster.local:80/*',
      'x-envoy-peer-metadata-id', 'sidecar~id',
      'x-envoy-peer-metadata', 'META',
      'x-envoy-attempt-count', '2',
    ]);
    // Inbound: no decorator (Ingress strips it), no peer headers (discovery removes them), no attempt count.
    expect(headerLines(requestHeaderPairs(inbound, { ...facts, hasForwardedProto: true, hasRequestId: true }))).toBe('');
    expect(headerLines(requestHeaderPairs(inbound, facts))).toBe('x-forwarded-proto: http\r\nx-request-id: rid\r\n');
  });

  it("appends each filter's encodeHeaders in reverse (the router's first), then the connection manager's", () => {
    // Outbound: the service time; the upstream's date and server stand (server rewritten in place).
    expect(responseHeaderPairs(outbound, upstreamHead)).toEqual(['x-envoy-upstream-service-time', '3']);
    expect(responseHeaderPairs(outbound, { ...upstreamHead, peerReceived: PEER_ID_RECEIVED | PEER_RECEIVED, hasDate: false, hasServer: false })).toEqual([
      'x-envoy-upstream-service-time', '3',
      'date', httpDate(),
      'server', 'envoy',
    ]);
    // Inbound: the metadata exchange echoes what the caller sent (downstream_propagation), then
    // the connection manager's server and the decorator for the caller's span (tracing Ingress).
    expect(responseHeaderPairs(inbound, { ...upstreamHead, peerReceived: PEER_ID_RECEIVED | PEER_RECEIVED, hasServer: false })).toEqual([
      'x-envoy-upstream-service-time', '3',
      'x-envoy-peer-metadata-id', 'sidecar~in',
      'x-envoy-peer-metadata', 'INMETA',
      'server', 'istio-envoy',
      'x-envoy-decorator-operation', 'web.mesh.svc.cluster.local:80/*',
    ]);
    expect(responseHeaderPairs(inbound, { ...upstreamHead, peerReceived: PEER_RECEIVED })).toEqual([
      'x-envoy-upstream-service-time', '3',
      'x-envoy-peer-metadata', 'INMETA',
      'x-envoy-decorator-operation', 'web.mesh.svc.cluster.local:80/*',
    ]);
  });

  it("takes a filter out by its entry: without the metadata exchange no peer header is written", () => {
    const mx = HTTP_FILTERS.find((f) => f.name === 'istio.metadata_exchange');
    const out: string[] = [];
    mx?.responseHeaders?.(outbound, { ...upstreamHead, peerReceived: PEER_ID_RECEIVED | PEER_RECEIVED }, out);
    expect(out).toEqual([]);
  });

  it("ends a request through the filters: istio.stats records it", () => {
    const seen: string[] = [];
    const stats = HTTP_FILTERS.find((f) => f.name === 'istio.stats');
    stats?.onRequestDone?.({ metrics: { recordRequest: (info) => seen.push(String(info.responseCode)) } }, { responseCode: 200 } as never);
    expect(seen).toEqual(['200']);
  });
});

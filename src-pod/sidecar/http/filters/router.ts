// envoy.filters.http.router, the terminal filter: the HTTP engines (h1-exchange.ts, node-exchange.ts) are its body.
import { TYPE } from '../../xds/envoy-types';
import type { HttpFilter } from './http-filter';

/**
 * Routing, retries and timeouts live in the exchanges (one policy: http/route-policy.ts); here is
 * what the chain needs to know of the router: its dump entry and the headers it writes. It runs
 * last on a request and first on a response (Envoy encodes in reverse filter order).
 */
export const router: HttpFilter = {
  name: 'envoy.filters.http.router',
  xds: { name: 'envoy.filters.http.router', typed_config: { '@type': TYPE.router } },
  // include_request_attempt_count: the router writes its own per attempt.
  ownsRequestHeaders: ['x-envoy-attempt-count'],
  ownsResponseHeaders: ['x-envoy-upstream-service-time'],
  // Istio's sidecars have include_request_attempt_count on every virtual host, outbound only.
  requestHeaders(policy, facts, out) {
    if (policy.direction === 'outbound') out.push('x-envoy-attempt-count', String(facts.attempt));
  },
  // onUpstreamHeaders: the time since the request went upstream (suppress_envoy_headers is off).
  responseHeaders(_policy, facts, out) {
    out.push('x-envoy-upstream-service-time', String(facts.serviceTimeMs));
  },
};

// envoy.filters.http.router, the terminal filter: the HTTP engines (h1-exchange.ts, node-exchange.ts) are its body.
import { TYPE } from '../../xds/envoy-types';
import type { HeaderPolicy, RequestFacts } from '../header-policy';
import type { HttpFilter } from './http-filter';

/**
 * Routing, retries and timeouts live in the exchanges (one policy: http/route-policy.ts); here is
 * what the chain needs to know of the router: its dump entry and the headers it owns.
 */
export const router: HttpFilter = {
  name: 'envoy.filters.http.router',
  xds: { name: 'envoy.filters.http.router', typed_config: { '@type': TYPE.router } },
  // include_request_attempt_count: the router writes its own per attempt.
  ownsRequestHeaders: ['x-envoy-attempt-count'],
};

/**
 * What the router writes on each attempt, right after the connection manager's headers: outbound,
 * `x-envoy-attempt-count` (include_request_attempt_count) and the route's decorator.
 */
export function routerRequestHeaders(policy: HeaderPolicy, facts: RequestFacts, out: string[]): void {
  if (policy.direction !== 'outbound') return;
  out.push('x-envoy-attempt-count', String(facts.attempt));
  if (facts.decorator !== undefined) out.push('x-envoy-decorator-operation', facts.decorator);
}

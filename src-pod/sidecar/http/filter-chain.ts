// The HTTP connection manager's filter list: a new filter is one file in filters/ and one entry here.
import type { StreamInfo } from '../stream-info';
import { connectionManagerRequestHeaders, type HeaderPolicy, type RequestFacts } from './header-policy';
import type { FilterContext, HttpFilter } from './filters/http-filter';
import { istioStats } from './filters/istio-stats';
import { metadataExchange } from './filters/metadata-exchange';
import { router, routerRequestHeaders } from './filters/router';

/** In Istio's order for a sidecar's HCM, the router last. */
export const HTTP_FILTERS: readonly HttpFilter[] = [metadataExchange, istioStats, router];

/** Request headers some filter owns: both engines drop the client's copies. */
export const FILTER_OWNED_REQUEST_HEADERS: readonly string[] = HTTP_FILTERS.flatMap((f) => f.ownsRequestHeaders ?? []);

const withRequestHeaders = HTTP_FILTERS.filter((f) => f.requestHeaders !== undefined);
const withRequestDone = HTTP_FILTERS.filter((f) => f.onRequestDone !== undefined);

/**
 * The headers appended to one upstream request, as name/value pairs in order: the connection
 * manager's, the router's, then each filter's in filter order.
 */
export function requestHeaderPairs(policy: HeaderPolicy, facts: RequestFacts): string[] {
  const out: string[] = [];
  connectionManagerRequestHeaders(facts, out);
  routerRequestHeaders(policy, facts, out);
  for (const f of withRequestHeaders) f.requestHeaders?.(policy, facts, out);
  return out;
}

/** The same pairs as HTTP/1.1 header lines. */
export function requestHeaderLines(policy: HeaderPolicy, facts: RequestFacts): string {
  const pairs = requestHeaderPairs(policy, facts);
  let s = '';
  for (let i = 0; i < pairs.length; i += 2) s += `${pairs[i]}: ${pairs[i + 1]}\r\n`;
  return s;
}

export function filtersRequestDone(ctx: FilterContext, info: StreamInfo): void {
  for (const f of withRequestDone) f.onRequestDone?.(ctx, info);
}

/** The `http_filters` of every connection manager in /config_dump. */
export function httpFiltersXds(): { name: string; typed_config: { '@type': string } }[] {
  return HTTP_FILTERS.flatMap((f) => (f.xds ? [f.xds] : []));
}

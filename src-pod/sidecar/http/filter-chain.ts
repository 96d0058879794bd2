// The HTTP connection manager's filter list: a new filter is one file in filters/ and one entry here.
import type { StreamInfo } from '../stream-info';
import {
  connectionManagerRequestHeaders,
  connectionManagerResponseHeaders,
  DECORATOR,
  type HeaderPolicy,
  type RequestFacts,
  type ResponseFacts,
} from './header-policy';
import type { FilterContext, HttpFilter } from './filters/http-filter';
import { istioStats } from './filters/istio-stats';
import { metadataExchange } from './filters/metadata-exchange';
import { router } from './filters/router';

/** In Istio's order for a sidecar's HCM, the router last. */
export const HTTP_FILTERS: readonly HttpFilter[] = [metadataExchange, istioStats, router];

/** Request headers the connection manager or a filter owns: both engines drop the client's copies. */
export const OWNED_REQUEST_HEADERS: readonly string[] = [DECORATOR, ...HTTP_FILTERS.flatMap((f) => f.ownsRequestHeaders ?? [])];
/** Response headers the connection manager or a filter owns: both engines drop the upstream's copies (`server` is rewritten in place instead). */
export const OWNED_RESPONSE_HEADERS: readonly string[] = [DECORATOR, ...HTTP_FILTERS.flatMap((f) => f.ownsResponseHeaders ?? [])];

const decoders = HTTP_FILTERS.filter((f) => f.requestHeaders !== undefined);
// Envoy runs encoder filters last to first.
const encoders = HTTP_FILTERS.filter((f) => f.responseHeaders !== undefined).reverse();
const withRequestDone = HTTP_FILTERS.filter((f) => f.onRequestDone !== undefined);

/**
 * The headers appended to one upstream request, as name/value pairs in the order Envoy's header
 * map holds them: the connection manager's, then each filter's decodeHeaders in filter order
 * (the router, last, writes the attempt count).
 */
export function requestHeaderPairs(policy: HeaderPolicy, facts: RequestFacts): string[] {
  const out: string[] = [];
  connectionManagerRequestHeaders(policy, facts, out);
  for (const f of decoders) f.requestHeaders?.(policy, facts, out);
  return out;
}

/**
 * The headers appended to a proxied response, after the upstream's: each filter's encodeHeaders
 * in reverse order (the router's service time first), then the connection manager's.
 */
export function responseHeaderPairs(policy: HeaderPolicy, facts: ResponseFacts): string[] {
  const out: string[] = [];
  for (const f of encoders) f.responseHeaders?.(policy, facts, out);
  connectionManagerResponseHeaders(policy, facts, out);
  return out;
}

/** Name/value pairs as HTTP/1.1 header lines. */
export function headerLines(pairs: readonly string[]): string {
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

// What an HTTP filter is to this proxy: Envoy's http_filters entry, reduced to the points both HTTP engines call.
import type { StreamInfo } from '../../stream-info';
import type { HeaderPolicy, RequestFacts, ResponseFacts } from '../header-policy';

/** What a filter may use when a request is done (the proxy context, as narrow as the filters need). */
export interface FilterContext {
  metrics: { recordRequest(info: StreamInfo): void };
}

/**
 * One filter of the HTTP connection manager, in the order of `HTTP_FILTERS` (filter-chain.ts).
 * Every hook is optional; the engines call them on every request, so they stay cheap and
 * compute per-connection state in `HeaderPolicy`, not here.
 */
export interface HttpFilter {
  /** Envoy's filter name (`envoy.filters.http.router`, `istio.metadata_exchange`, …). */
  readonly name: string;
  /** Its `http_filters` entry in /config_dump, when the dump shows it. */
  readonly xds?: { name: string; typed_config: { '@type': string } };
  /** Request headers this filter owns: never forwarded as the client sent them. */
  readonly ownsRequestHeaders?: readonly string[];
  /** Response headers this filter owns: never forwarded as the upstream sent them. */
  readonly ownsResponseHeaders?: readonly string[];
  /** decodeHeaders: name/value pairs appended to each upstream request, in filter order. */
  requestHeaders?(policy: HeaderPolicy, facts: RequestFacts, out: string[]): void;
  /** encodeHeaders: name/value pairs appended to the response, in reverse filter order (the router first). */
  responseHeaders?(policy: HeaderPolicy, facts: ResponseFacts, out: string[]): void;
  /** The request ended (after its access-log line): Istio's stats filter records it. */
  onRequestDone?(ctx: FilterContext, info: StreamInfo): void;
}

// `proxy-config all -o short`: istioctl's PrintFullSummary, every table with its config type in a NAME column.
import { printBootstrapSummary } from './bootstrap';
import { printClusterSummary, type ClusterFilter } from './cluster';
import type { ConfigDump } from './dump';
import { printEndpointsSummary, type EndpointFilter } from './endpoint';
import { printListenerSummary, type ListenerFilter } from './listener';
import { printRouteSummary, type RouteFilter } from './route';
import { printSecretSummary } from './secret';

export interface FullFilters {
  cluster: ClusterFilter;
  listener: ListenerFilter;
  route: RouteFilter;
  endpoint: EndpointFilter;
}

/** Bootstrap, clusters, listeners, routes, secrets, EDS endpoints, each after a blank line, written as they are made:
 *  the first error stops it with what came before already printed, as in Go. */
export function printFullSummary(dump: ConfigDump, f: FullFilters, out: (text: string) => void, now = new Date()): void {
  const parts: (() => string)[] = [
    () => printBootstrapSummary(dump),
    () => printClusterSummary(dump, f.cluster, true),
    () => printListenerSummary(dump, f.listener, true),
    () => printRouteSummary(dump, f.route, true),
    () => printSecretSummary(dump, true, now),
    () => printEndpointsSummary(dump, f.endpoint, true),
  ];
  for (const [i, part] of parts.entries()) {
    if (i > 0) out('\n');
    out(part());
  }
}

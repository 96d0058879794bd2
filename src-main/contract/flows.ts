// Which flows a filter keeps: the same test in main's store and in the window's list.
import type { Flow, FlowFilter } from './types';

export function flowMatches(flow: Flow, filter: FlowFilter): boolean {
  if (filter.pod && flow.pod !== filter.pod) return false;
  if (filter.namespace && flow.namespace !== filter.namespace) return false;
  if (filter.direction && flow.direction !== filter.direction) return false;
  if (filter.verdict && flow.verdict !== filter.verdict) return false;
  // The proxy's own connections pass the redirect as the proxy's; "bypassed" means an app's traffic skipped it.
  if (filter.verdict === 'bypassed' && flow.proxyOwn) return false;
  if (filter.cluster && !(flow.cluster ?? '').includes(filter.cluster)) return false;
  if (filter.responseFlag) {
    // Envoy joins several flags with commas (`UF,URX`); `-` means none.
    const flags = (flow.responseFlags ?? '-').split(',');
    if (!flags.includes(filter.responseFlag)) return false;
  }
  return true;
}

/** Newest first, at most `filter.limit`. */
export function filterFlows(flows: readonly Flow[], filter: FlowFilter = {}): Flow[] {
  const out: Flow[] = [];
  for (let i = flows.length - 1; i >= 0 && out.length < (filter.limit ?? Infinity); i--) {
    if (flowMatches(flows[i], filter)) out.push(flows[i]);
  }
  return out;
}

// The Sidecar resource's egress hosts: which services this proxy can see (`ns/host`, `*`, `.`, `~`).
import type { ProxyConfig } from './config';

export interface Visibility {
  /** Whether a service (namespace, hostname) is visible on `port`. */
  visible(namespace: string, hostname: string, port: number): boolean;
}

interface EgressHost {
  namespace: string; // '*' | exact; '.' already replaced; '~' (no namespace: imports nothing) dropped
  host: string; // '*' | '*.suffix' | exact
  port?: number;
}

export function hostMatches(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1));
  return pattern.toLowerCase() === hostname.toLowerCase();
}

/** Without a Sidecar (or without egress), everything is visible, as in Istio. */
export function egressVisibility(config: ProxyConfig): Visibility {
  const egress = config.sidecar?.egress ?? [];
  if (egress.length === 0) return { visible: () => true };
  // Istio resolves `.` with the proxy's config namespace: the workload's own, also for a Sidecar
  // in the root namespace (the mesh-wide default), never the Sidecar's namespace as such.
  const ownNs = config.pod.namespace;
  const entries: EgressHost[] = [];
  for (const listener of egress) {
    for (const h of listener.hosts) {
      const slash = h.indexOf('/');
      const ns = h.slice(0, slash);
      if (ns === '~') continue;
      entries.push({
        namespace: ns === '.' ? ownNs : ns,
        host: h.slice(slash + 1),
        ...(listener.port ? { port: listener.port.number } : {}),
      });
    }
  }
  return {
    visible(namespace, hostname, port) {
      return entries.some(
        (e) =>
          (e.port === undefined || e.port === port) &&
          (e.namespace === '*' || e.namespace === namespace) &&
          hostMatches(e.host, hostname),
      );
    },
  };
}

// The Sidecar resource's egress hosts: which services this proxy sees, as istiod's SidecarScope picks them.
import type { ProxyConfig, SidecarConfig } from '../config';
import type { ModelService } from './services';

/** Istio's `namespace/dnsName` egress hosts of one listener, by namespace (`.` already resolved). */
type HostsByNamespace = Map<string, string[]>;

interface EgressListener {
  hosts: HostsByNamespace;
  /** Services are trimmed to this port (Istio's `needsPortMatch`): a port set, not HTTP_PROXY. */
  matchPort?: number;
}

/**
 * Istio's `host.Name.SubsetOf`: `n` is covered by the pattern `o` (`*`, `*.suffix` or exact).
 * Both may be wildcards (a ServiceEntry's `*.example.org` is covered by `*.org`). Exact names
 * compare as written, as istiod compares them.
 */
export function hostSubsetOf(n: string, o: string): boolean {
  if (n === o) return true;
  if (!o.startsWith('*')) return false;
  return (n.startsWith('*') ? n.slice(1) : n).endsWith(o.slice(1));
}

/**
 * One listener's hosts by namespace. `.` is the proxy's config namespace: the workload's own,
 * also in a Sidecar of the root namespace (istiod resolves it per proxy). `~` stays a namespace
 * no service lives in, so `~/*` imports nothing (Istio's "no namespace").
 */
function egressListener(entry: SidecarConfig['egress'][number], configNamespace: string): EgressListener {
  const hosts: HostsByNamespace = new Map();
  for (const h of entry.hosts) {
    const slash = h.indexOf('/');
    const ns = h.slice(0, slash) === '.' ? configNamespace : h.slice(0, slash);
    hosts.set(ns, [...(hosts.get(ns) ?? []), h.slice(slash + 1)]);
  }
  const port = entry.port;
  const matchPort = port && port.number !== 0 && port.protocol?.toUpperCase() !== 'HTTP_PROXY' ? port.number : undefined;
  return matchPort === undefined ? { hosts } : { hosts, matchPort };
}

/** `matchingService`: the service (trimmed to the listener's port) when `hosts` cover its hostname. */
function matching(hosts: string[] | undefined, s: ModelService, l: EgressListener): ModelService | undefined {
  if (!hosts?.some((h) => hostSubsetOf(s.hostname, h))) return undefined;
  if (l.matchPort === undefined) return s;
  const port = s.ports.find((p) => p.port === l.matchPort);
  if (!port) return undefined;
  return s.ports.length === 1 ? s : { ...s, ports: [port], endpoints: new Map([[port.port, s.endpoints.get(port.port) ?? []]]) };
}

/**
 * `selectServices` (UnifiedSidecarScoping, Istio's default since 1.22): `ns/host` imports first,
 * then `*\/host`; one namespace per hostname, the proxy's own first, a Kubernetes Service over a
 * ServiceEntry of another namespace, else the first seen.
 */
function selectServices(all: ModelService[], l: EgressListener, configNamespace: string): ModelService[] {
  const imported: ModelService[] = [];
  for (const s of all) {
    const svc = matching(l.hosts.get(s.namespace), s, l) ?? matching(l.hosts.get('*'), s, l);
    if (svc) imported.push(svc);
  }
  const chosen = new Map<string, { namespace: string; kube: boolean }>();
  for (const s of imported) {
    const next = { namespace: s.namespace, kube: s.registry === 'Kubernetes' };
    const seen = chosen.get(s.hostname);
    if (
      !seen ||
      s.namespace === configNamespace ||
      (!seen.kube && next.kube && (next.namespace === configNamespace || seen.namespace !== configNamespace))
    ) {
      chosen.set(s.hostname, next);
    }
  }
  return imported.filter((s) => chosen.get(s.hostname)?.namespace === s.namespace);
}

function samePorts(a: ModelService, b: ModelService): boolean {
  return a.ports.length === b.ports.length && a.ports.every((p, i) => p.port === b.ports[i].port && p.name === b.ports[i].name && p.protocol === b.ports[i].protocol);
}

/**
 * `appendSidecarServices` across listeners: the first listener to import a hostname keeps it; a
 * Kubernetes Service displaces another registry's; the same namespace and resolution merge
 * ports. A ServiceEntry's per-address services (one per host and address, as convertServices
 * makes them) stay together: Istio builds listeners and routes from the egress listener's
 * services, which keep them all, and clusters from the scope's, which keep the first of a
 * hostname; the cluster builder here keeps the first of each name the same way.
 */
function union(perListener: ModelService[][]): ModelService[] {
  const out: ModelService[] = [];
  const owner = new Map<string, ModelService[]>(); // hostname -> the services kept for it
  for (const services of perListener) {
    const batch = new Map<string, ModelService[]>();
    for (const s of services) batch.set(s.hostname, [...(batch.get(s.hostname) ?? []), s]);
    for (const [hostname, group] of batch) {
      const kept = owner.get(hostname);
      if (!kept) {
        owner.set(hostname, group);
        out.push(...group);
        continue;
      }
      const existing = kept[0];
      const s = group[0];
      if (existing.registry === 'Kubernetes' && s.registry !== 'Kubernetes') continue;
      if (existing.registry !== 'Kubernetes' && s.registry === 'Kubernetes') {
        out.splice(out.indexOf(existing), kept.length, ...group);
        owner.set(hostname, group);
        continue;
      }
      if (samePorts(existing, s)) continue;
      if (existing.namespace !== s.namespace || existing.resolution !== s.resolution || existing.registry !== s.registry) continue;
      for (const k of kept) {
        const mine = group.find((g) => g.address === k.address) ?? s;
        for (const p of mine.ports) {
          if (k.ports.some((q) => q.port === p.port)) continue;
          k.ports = [...k.ports, p];
          k.endpoints = new Map([...k.endpoints, [p.port, mine.endpoints.get(p.port) ?? []]]);
        }
      }
    }
  }
  return out;
}

/**
 * The services this proxy sees. Without a Sidecar, or with one without egress, it is one `*\/*`
 * listener, as istiod builds it (so a hostname in several namespaces is chosen the same way).
 */
export function sidecarScopeServices(config: ProxyConfig, all: ModelService[]): ModelService[] {
  const configNamespace = config.pod.namespace;
  const egress = config.sidecar?.egress ?? [];
  const listeners = (egress.length > 0 ? egress : [{ hosts: ['*/*'] }]).map((e) => egressListener(e, configNamespace));
  // Copies: merging ports across listeners must not touch the registry's services.
  return union(listeners.map((l) => selectServices(all, l, configNamespace).map((s) => ({ ...s }))));
}

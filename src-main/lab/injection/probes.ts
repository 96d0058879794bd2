// Istio's app probe rewrite: the kubelet probes the agent on the status port, which probes the app (ISTIO_KUBE_APP_PROBERS).
import { cloneJson, isRecord, type KubeContainer } from './kube-types';

const KINDS = [
  ['readinessProbe', 'readyz'],
  ['livenessProbe', 'livez'],
  ['startupProbe', 'startupz'],
] as const;

/** A named port of the container resolved to its number, as the agent needs it. */
function resolvePort(port: unknown, c: KubeContainer): unknown {
  if (typeof port !== 'string' || /^\d+$/.test(port))
    return typeof port === 'string' ? Number(port) : port;
  return c.ports?.find((p) => p.name === port)?.containerPort ?? port;
}

/** The prober the agent keeps for one rewritten probe (Istio's Prober: httpGet, tcpSocket or grpc, and the timeout). */
function proberOf(
  probe: Record<string, unknown>,
  c: KubeContainer,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (isRecord(probe.httpGet)) {
    const h = probe.httpGet;
    const action: Record<string, unknown> = {};
    if (h.path !== undefined) action.path = h.path;
    action.port = resolvePort(h.port, c);
    for (const k of ['host', 'scheme', 'httpHeaders']) if (h[k] !== undefined) action[k] = h[k];
    out.httpGet = action;
  } else if (isRecord(probe.tcpSocket)) {
    out.tcpSocket = { ...probe.tcpSocket, port: resolvePort(probe.tcpSocket.port, c) };
  } else if (isRecord(probe.grpc)) {
    out.grpc = cloneJson(probe.grpc);
  } else {
    return undefined;
  }
  if (typeof probe.timeoutSeconds === 'number' && probe.timeoutSeconds > 0)
    out.timeoutSeconds = probe.timeoutSeconds;
  return out;
}

/**
 * The probe the kubelet gets (Istio's convertAppProber): an HTTP probe keeps its host, scheme and
 * headers (the kubelet sends them to the agent, which passes them on), HTTPS becomes HTTP (the
 * agent speaks HTTPS to the app); a TCP or gRPC probe becomes a bare HTTP GET. Go's field order.
 */
function rewrittenHttpGet(original: unknown, path: string, statusPort: number): Record<string, unknown> {
  const out: Record<string, unknown> = { path, port: statusPort };
  if (!isRecord(original)) return out;
  if (original.host !== undefined) out.host = original.host;
  if (original.scheme !== undefined) out.scheme = original.scheme === 'HTTPS' ? 'HTTP' : original.scheme;
  if (original.httpHeaders !== undefined) out.httpHeaders = cloneJson(original.httpHeaders);
  return out;
}

/**
 * Rewrites the HTTP, TCP and gRPC probes of the app containers to `/app-health/<container>/<kind>`
 * on the status port (exec probes stay). Returns the new containers and the probers by path.
 */
export function rewriteAppProbes(
  containers: KubeContainer[],
  statusPort: number,
): { containers: KubeContainer[]; probers: Record<string, unknown> } {
  const probers: Record<string, unknown> = {};
  const out = containers.map((c) => {
    const copy = cloneJson(c);
    for (const [field, suffix] of KINDS) {
      const probe = copy[field];
      if (!isRecord(probe)) continue;
      const prober = proberOf(probe, c);
      if (!prober) continue;
      const path = `/app-health/${c.name}/${suffix}`;
      probers[path] = prober;
      const rewritten: Record<string, unknown> = { ...probe };
      delete rewritten.tcpSocket;
      delete rewritten.grpc;
      rewritten.httpGet = rewrittenHttpGet(probe.httpGet, path, statusPort);
      copy[field] = rewritten;
    }
    return copy;
  });
  return { containers: out, probers };
}

/** Go's json.Marshal of the probers map: keys sorted. */
export function probersJson(probers: Record<string, unknown>): string {
  const sorted = Object.fromEntries(
    Object.keys(probers)
      .sort()
      .map((k) => [k, probers[k]]),
  );
  return JSON.stringify(sorted);
}

// From the contract's pod and Service records to what the topology cards show.
import type { ContainerInfo, PodInfo, ServiceInfo } from '../../../src-main/contract/types';

export type Health = 'ok' | 'pending' | 'failed' | 'absent';

export interface ContainerBadge {
  label: string;
  health: Health;
  detail: string;
}

function badge(label: string, c: ContainerInfo | undefined, ok: (c: ContainerInfo) => boolean, okText: string): ContainerBadge {
  if (!c) return { label, health: 'absent', detail: 'none' };
  if (ok(c)) return { label, health: 'ok', detail: okText };
  // Kubernetes' reason says more than the engine's state: CrashLoopBackOff, not just "waiting".
  const failed = c.state === 'exited' || c.state === 'dead' || /BackOff|Err/.test(c.reason ?? '');
  const exit = c.exitCode !== undefined ? ` (exit ${c.exitCode})` : '';
  return { label, health: failed ? 'failed' : 'pending', detail: `${c.reason ?? c.state}${exit}` };
}

/** The three things that make an injected pod work: istio-init done, the proxy up, the app up. */
export function podBadges(pod: PodInfo): ContainerBadge[] {
  const init = pod.containers.find((c) => c.role === 'istio-init');
  const proxy = pod.containers.find((c) => c.role === 'istio-proxy');
  const apps = pod.containers.filter((c) => c.role === 'app');
  const out: ContainerBadge[] = [];
  if (pod.sidecar) {
    out.push(badge('istio-init', init, (c) => c.state === 'exited' && c.exitCode === 0, 'done'));
    out.push(badge('istio-proxy', proxy, (c) => c.state === 'running', 'ready'));
  }
  for (const app of apps) out.push(badge(app.name, app, (c) => c.state === 'running', 'running'));
  return out;
}

export function byNamespace(pods: PodInfo[]): { namespace: string; pods: PodInfo[] }[] {
  const groups = new Map<string, PodInfo[]>();
  for (const pod of pods) groups.set(pod.namespace, [...(groups.get(pod.namespace) ?? []), pod]);
  return [...groups].map(([namespace, list]) => ({ namespace, pods: list }));
}

/** Ports a pod serves, as its Services' endpoints list them. */
export function podPorts(pod: PodInfo, services: ServiceInfo[]): number[] {
  const ports = new Set<number>();
  for (const s of services) {
    for (const e of s.endpoints) if (e.ip === pod.ip) for (const p of e.ports) ports.add(p);
  }
  return [...ports].sort((a, b) => a - b);
}

export function servicePorts(s: ServiceInfo): string {
  return s.ports.map((p) => `${p.name ? `${p.name} ` : ''}${p.port}→${p.targetPort}/${p.protocol}`).join(', ');
}

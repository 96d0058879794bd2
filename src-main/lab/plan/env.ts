// A container's environment as kubelet builds it: service links, downward API fields, $(VAR) expansion.
import type { ContainerSpec } from '../scenario/types';
import { NODE_HOSTNAME, NODE_IP } from './network';
import type { PlannedService } from './types';

export interface PodFacts {
  namespace: string;
  name: string;
  uid: string;
  ip: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * Docker-link style variables kubelet adds for the ClusterIP services of the pod's namespace
 * (when `enableServiceLinks`) and always for `default/kubernetes`.
 */
export function serviceLinkEnv(
  services: PlannedService[],
  namespace: string,
  enableServiceLinks: boolean,
): { name: string; value: string }[] {
  const chosen = new Map<string, PlannedService>();
  for (const s of services) {
    if (!s.clusterIP || s.ports.length === 0) continue;
    const own = s.namespace === namespace && enableServiceLinks;
    const master = s.namespace === 'default' && s.name === 'kubernetes';
    // The pod's own namespace wins over the master service of the same name (kubelet does this).
    if (own || (master && !chosen.has(s.name))) chosen.set(s.name, s);
  }
  const out: { name: string; value: string }[] = [];
  const sorted = [...chosen.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const s of sorted) {
    const p = s.name.toUpperCase().replace(/-/g, '_');
    const ip = s.clusterIP as string;
    const first = s.ports[0];
    out.push(
      { name: `${p}_SERVICE_HOST`, value: ip },
      { name: `${p}_SERVICE_PORT`, value: String(first.port) },
    );
    for (const sp of s.ports) {
      if (sp.name)
        out.push({
          name: `${p}_SERVICE_PORT_${sp.name.toUpperCase().replace(/-/g, '_')}`,
          value: String(sp.port),
        });
    }
    out.push({ name: `${p}_PORT`, value: `${first.protocol.toLowerCase()}://${ip}:${first.port}` });
    for (const sp of s.ports) {
      const proto = sp.protocol.toLowerCase();
      const base = `${p}_PORT_${sp.port}_${sp.protocol}`;
      out.push(
        { name: base, value: `${proto}://${ip}:${sp.port}` },
        { name: `${base}_PROTO`, value: proto },
        { name: `${base}_PORT`, value: String(sp.port) },
        { name: `${base}_ADDR`, value: ip },
      );
    }
  }
  return out;
}

/** A downward-API `fieldRef.fieldPath` for this pod; undefined when not supported. */
export function fieldRefValue(fieldPath: string, pod: PodFacts): string | undefined {
  const fmtMap = (m: Record<string, string>) =>
    Object.keys(m)
      .sort()
      .map((k) => `${k}=${JSON.stringify(m[k])}`)
      .join('\n');
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? pod.labels : pod.annotations)[m[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'metadata.uid':
      return pod.uid;
    case 'metadata.labels':
      return fmtMap(pod.labels);
    case 'metadata.annotations':
      return fmtMap(pod.annotations);
    case 'spec.nodeName':
      return NODE_HOSTNAME;
    case 'spec.serviceAccountName':
      return 'default';
    case 'status.hostIP':
    case 'status.hostIPs':
      return NODE_IP;
    case 'status.podIP':
    case 'status.podIPs':
      return pod.ip;
    default:
      return undefined;
  }
}

/** Kubernetes' `$(VAR)` expansion: `$$` escapes, unknown references stay as written. */
export function expandVars(text: string, vars: Map<string, string>): string {
  return text.replace(
    /\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g,
    (whole, name: string | undefined) => {
      if (whole === '$$') return '$';
      return name !== undefined && vars.has(name) ? (vars.get(name) as string) : whole;
    },
  );
}

export function containerEnv(
  c: ContainerSpec,
  pod: PodFacts,
  links: { name: string; value: string }[],
): { env: { name: string; value: string }[]; command?: string[]; args?: string[] } {
  const vars = new Map<string, string>();
  const env: { name: string; value: string }[] = [];
  const set = (name: string, value: string) => {
    const i = env.findIndex((e) => e.name === name);
    if (i >= 0) env.splice(i, 1);
    env.push({ name, value });
    vars.set(name, value);
  };
  for (const l of links) set(l.name, l.value);
  for (const e of c.env) {
    // An env var reads only variables defined before it (and service links), as in kubelet.
    const value =
      e.fieldPath !== undefined
        ? fieldRefValue(e.fieldPath, pod)
        : e.value !== undefined
          ? expandVars(e.value, vars)
          : '';
    if (value !== undefined) set(e.name, value);
  }
  const out: { env: { name: string; value: string }[]; command?: string[]; args?: string[] } = {
    env,
  };
  if (c.command) out.command = c.command.map((s) => expandVars(s, vars));
  if (c.args) out.args = c.args.map((s) => expandVars(s, vars));
  return out;
}

// The lab's istiod: Services, ServiceEntries, Sidecars and the mesh config become each sidecar's configuration.
import type { IstioObject } from '../scenario/types';
import type { LabPlan, PlannedPod, PlannedService } from '../plan/types';

/** What is pushed to the sidecar (`POST /lab/config`); the proxy validates it (src-pod/sidecar/config.ts). */
export interface ProxyConfigInput {
  version: string;
  pod: { name: string; namespace: string; ip: string; workload: string };
  mesh: { outboundTrafficPolicy: { mode: string }; protocolDetectionTimeout?: unknown; connectTimeout?: unknown; accessLogFile?: string };
  services: {
    name: string;
    namespace: string;
    hostname: string;
    clusterIP: string;
    ports: { name: string; port: number; targetPort: number; protocol: string; appProtocol?: string }[];
    endpoints: { address: string; ports: Record<string, number> }[];
  }[];
  serviceEntries: Record<string, unknown>[];
  sidecar?: Record<string, unknown>;
  inboundPorts: { port: number; name: string; protocol: string; appProtocol?: string; service: string }[];
  /** istio-proxy's environment, the part pilot-agent reads (the runtime starts the container without it). */
  proxyEnv?: Record<string, string>;
}

const ROOT_NAMESPACE = 'istio-system';

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function selectorLabels(sidecar: IstioObject): Record<string, string> | undefined {
  const labels = asRecord(asRecord(sidecar.spec['workloadSelector'])['labels']);
  return Object.keys(labels).length > 0 ? (labels as Record<string, string>) : undefined;
}

/** Istio's choice: a Sidecar selecting the pod in its namespace, else the namespace's default, else the root's. */
export function sidecarFor(pod: PlannedPod, sidecars: IstioObject[]): IstioObject | undefined {
  const inNs = sidecars.filter((s) => s.namespace === pod.namespace);
  const selecting = inNs.find((s) => {
    const labels = selectorLabels(s);
    return labels && Object.entries(labels).every(([k, v]) => pod.labels[k] === v);
  });
  return (
    selecting ??
    inNs.find((s) => !selectorLabels(s)) ??
    sidecars.find((s) => s.namespace === ROOT_NAMESPACE && !selectorLabels(s))
  );
}

function serviceConfig(s: PlannedService): ProxyConfigInput['services'][number] {
  const byIp = new Map<string, Record<string, number>>();
  for (const p of s.ports) {
    for (const e of p.endpoints) {
      const ports = byIp.get(e.ip) ?? {};
      ports[String(p.port)] = e.port;
      byIp.set(e.ip, ports);
    }
  }
  return {
    name: s.name,
    namespace: s.namespace,
    hostname: s.fqdn,
    clusterIP: s.clusterIP ?? 'None',
    ports: s.ports.map((p) => ({
      name: p.name ?? '',
      port: p.port,
      // A named targetPort may differ per pod: the endpoints carry their own port.
      targetPort: typeof p.targetPort === 'number' ? p.targetPort : (p.endpoints[0]?.port ?? p.port),
      protocol: p.protocol,
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    })),
    endpoints: [...byIp].map(([address, ports]) => ({ address, ports })),
  };
}

function inboundPorts(pod: PlannedPod, services: PlannedService[]): ProxyConfigInput['inboundPorts'] {
  const seen = new Set<number>();
  const out: ProxyConfigInput['inboundPorts'] = [];
  for (const s of services) {
    for (const p of s.ports) {
      for (const e of p.endpoints) {
        if (e.pod !== pod.name || e.namespace !== pod.namespace || seen.has(e.port)) continue;
        seen.add(e.port);
        out.push({
          port: e.port,
          name: p.name ?? '',
          protocol: p.protocol,
          ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
          service: s.fqdn,
        });
      }
    }
  }
  return out;
}

const SERVICE_ENTRY_FIELDS = ['hosts', 'addresses', 'ports', 'resolution', 'location', 'endpoints'];

/** The fields the proxy acts on; exportTo, workloadSelector, subjectAltNames are control-plane concerns. */
function serviceEntryConfig(se: IstioObject): Record<string, unknown> {
  const picked = SERVICE_ENTRY_FIELDS.filter((k) => se.spec[k] !== undefined).map((k) => [k, se.spec[k]]);
  return { name: se.name, namespace: se.namespace, ...Object.fromEntries(picked) };
}

function sidecarConfig(sidecar: IstioObject): Record<string, unknown> {
  const spec = sidecar.spec;
  return {
    name: sidecar.name,
    namespace: sidecar.namespace,
    egress: Array.isArray(spec['egress']) ? spec['egress'] : [],
    ingress: Array.isArray(spec['ingress']) ? spec['ingress'] : [],
    ...(spec['outboundTrafficPolicy'] ? { outboundTrafficPolicy: spec['outboundTrafficPolicy'] } : {}),
  };
}

/** The configuration of one pod's sidecar, as istiod would compute it from the lab's resources. */
export function proxyConfigFor(plan: LabPlan, pod: PlannedPod, version: string, proxyEnv: Record<string, string> = {}): ProxyConfigInput {
  const mesh = plan.mesh.raw;
  const sidecar = sidecarFor(pod, plan.sidecars);
  return {
    version,
    pod: { name: pod.name, namespace: pod.namespace, ip: pod.ip, workload: pod.workload?.name ?? pod.name },
    mesh: {
      outboundTrafficPolicy: { mode: plan.mesh.outboundTrafficPolicy.mode },
      ...(mesh['protocolDetectionTimeout'] !== undefined ? { protocolDetectionTimeout: mesh['protocolDetectionTimeout'] } : {}),
      ...(mesh['connectTimeout'] !== undefined ? { connectTimeout: mesh['connectTimeout'] } : {}),
      // Istio's default profile logs nothing; the demo profile (and the built-in scenarios) set /dev/stdout.
      ...(typeof mesh['accessLogFile'] === 'string' ? { accessLogFile: mesh['accessLogFile'] } : {}),
    },
    services: plan.services.filter((s) => s.type !== 'ExternalName').map(serviceConfig),
    serviceEntries: plan.serviceEntries.map(serviceEntryConfig),
    ...(sidecar ? { sidecar: sidecarConfig(sidecar) } : {}),
    inboundPorts: inboundPorts(pod, plan.services),
    ...(Object.keys(proxyEnv).length > 0 ? { proxyEnv } : {}),
  };
}

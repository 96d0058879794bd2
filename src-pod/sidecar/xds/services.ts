// Istio's service model (model.Service) from the pushed registry: Kubernetes Services and ServiceEntries alike.
import { isIP } from 'node:net';
import type { Endpoint, ProxyConfig, ServiceEntryConfig } from '../config';
import type { IstioProtocol } from '../protocol';

/** Istio's `model.Resolution`. */
export type Resolution = 'ClientSideLB' | 'Passthrough' | 'DNSLB' | 'DNSRoundRobinLB';

export interface ModelPort {
  name: string;
  port: number;
  protocol: IstioProtocol;
  /** Where endpoints listen when they carry no port of their own. */
  targetPort: number;
}

export interface ModelEndpoint {
  address: string;
  port: number;
}

export interface ModelService {
  hostname: string;
  /** Kubernetes name/namespace (ServiceEntries: the entry's). */
  name: string;
  namespace: string;
  /** The VIP, a CIDR, or `0.0.0.0` when it has none (headless, ServiceEntry without addresses). */
  address: string;
  resolution: Resolution;
  registry: 'Kubernetes' | 'External';
  ports: ModelPort[];
  /** Endpoints by service port number. */
  endpoints: Map<number, ModelEndpoint[]>;
}

export const UNSPECIFIED = '0.0.0.0';

function endpointPort(ep: Endpoint, port: ModelPort): number {
  return ep.ports?.[String(port.port)] ?? (port.name !== '' ? ep.ports?.[port.name] : undefined) ?? port.targetPort;
}

function fromServiceEntry(se: ServiceEntryConfig, host: string, address: string): ModelService {
  const resolution: Resolution =
    se.resolution === 'NONE' ? 'Passthrough' : se.resolution === 'STATIC' ? 'ClientSideLB' : se.resolution === 'DNS' ? 'DNSLB' : 'DNSRoundRobinLB';
  const ports = se.ports.map((p) => ({ name: p.name, port: p.number, protocol: p.istioProtocol, targetPort: p.targetPort ?? p.number }));
  const endpoints = new Map<number, ModelEndpoint[]>();
  for (const p of ports) {
    let eps = se.endpoints.map((ep) => ({ address: ep.address, port: endpointPort(ep, p) }));
    // DNS without endpoints resolves the host itself (not a wildcard).
    if (eps.length === 0 && (resolution === 'DNSLB' || resolution === 'DNSRoundRobinLB') && !host.startsWith('*')) {
      eps = [{ address: host, port: p.targetPort }];
    }
    endpoints.set(p.port, eps);
  }
  return { hostname: host, name: se.name, namespace: se.namespace, address, resolution, registry: 'External', ports, endpoints };
}

/**
 * The pushed registry's services, in push order (Kubernetes Services, then ServiceEntries, each in
 * document order); the Sidecar scope picks among them. A ServiceEntry becomes one service per host
 * and address, as Istio's converter makes them.
 */
export function modelServices(config: ProxyConfig): ModelService[] {
  const out: ModelService[] = [];
  for (const s of config.services) {
    const ports = s.ports
      .filter((p) => p.protocol !== 'SCTP')
      .map((p) => ({ name: p.name, port: p.port, protocol: p.istioProtocol, targetPort: p.targetPort }));
    if (ports.length === 0) continue;
    const endpoints = new Map<number, ModelEndpoint[]>();
    for (const p of ports) endpoints.set(p.port, s.endpoints.map((ep) => ({ address: ep.address, port: endpointPort(ep, p) })));
    const headless = s.clusterIP === 'None';
    out.push({
      hostname: s.hostname,
      name: s.name,
      namespace: s.namespace,
      address: headless ? UNSPECIFIED : s.clusterIP,
      resolution: headless ? 'Passthrough' : 'ClientSideLB',
      registry: 'Kubernetes',
      ports,
      endpoints,
    });
  }
  for (const se of config.serviceEntries) {
    for (const host of se.hosts) {
      const addresses = se.addresses.length > 0 ? se.addresses : [UNSPECIFIED];
      for (const address of addresses) {
        const svc = fromServiceEntry(se, host, address);
        if (svc.ports.length > 0) out.push(svc);
      }
    }
  }
  return out;
}

/** A CIDR address (`10.0.0.0/24`); a `/32` (or `/128`) is the address itself, as Istio binds it. */
export function cidrOf(address: string): { ip: string; bits: number } | undefined {
  const [ip, bits] = address.split('/');
  if (bits === undefined) return undefined;
  const max = isIP(ip) === 6 ? 128 : 32;
  return Number(bits) === max ? undefined : { ip, bits: Number(bits) };
}

export function bareAddress(address: string): string {
  return address.split('/')[0];
}

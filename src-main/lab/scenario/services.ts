// Services: type, ClusterIP (explicit or headless), ports with named or numbered targetPorts, selector.
import { readProtocol } from './pod-spec';
import type { ObjectMeta, ServicePortSpec, ServiceSpec, ServiceType } from './types';
import { dnsLabelError, isIPv4, portNameError, type FieldRule, type Reader } from './validate';

const NOT_PUBLISHED = 'nothing is published outside the lab';

const SERVICE_FIELDS: Record<string, FieldRule> = {
  ports: 'model',
  selector: 'model',
  clusterIP: 'model',
  clusterIPs: 'model',
  type: 'model',
  externalName: 'model',
  sessionAffinity: (v) =>
    v === 'ClientIP' ? 'the node balances every connection independently' : 'silent',
  sessionAffinityConfig: 'the node balances every connection independently',
  externalIPs: NOT_PUBLISHED,
  loadBalancerIP: NOT_PUBLISHED,
  loadBalancerSourceRanges: NOT_PUBLISHED,
  loadBalancerClass: NOT_PUBLISHED,
  allocateLoadBalancerNodePorts: 'silent',
  externalTrafficPolicy: 'silent',
  healthCheckNodePort: 'silent',
  internalTrafficPolicy: 'silent',
  trafficDistribution: 'silent',
  publishNotReadyAddresses: 'silent',
  ipFamilies: (v) =>
    Array.isArray(v) && v.some((f) => f !== 'IPv4') ? 'the lab is IPv4 only' : 'silent',
  ipFamilyPolicy: 'silent',
};

const PORT_FIELDS: Record<string, FieldRule> = {
  name: 'model',
  port: 'model',
  targetPort: 'model',
  protocol: 'model',
  appProtocol: 'model',
  nodePort: NOT_PUBLISHED,
};

const TYPES: ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

function readPorts(r: Reader, value: unknown, multiRequired: boolean): ServicePortSpec[] {
  const list = r.list(value, '/spec/ports', 'ports');
  const out: ServicePortSpec[] = [];
  const names = new Set<string>();
  const numbers = new Set<string>();
  list.forEach((raw, i) => {
    const p = `/spec/ports/${i}`;
    const sp = r.map(raw, p, `ports[${i}]`);
    if (!sp) return;
    r.fields(sp, p, PORT_FIELDS);
    if (sp.port === undefined) r.error(p, 'port is required');
    const port = r.port(sp.port, `${p}/port`, 'port');
    const name = r.string(sp.name, `${p}/name`, 'port name');
    if (name !== undefined && name !== '') {
      const err = dnsLabelError(name);
      if (err) r.error(`${p}/name`, `port name "${name}" ${err}`);
      if (names.has(name)) r.error(`${p}/name`, `duplicate port name "${name}"`);
      names.add(name);
    } else if (list.length > 1 && multiRequired) {
      r.error(p, 'every port of a Service with more than one port needs a name');
    }
    const protocol = readProtocol(r, sp.protocol, `${p}/protocol`);
    if (port !== undefined) {
      if (numbers.has(`${port}/${protocol}`))
        r.error(`${p}/port`, `duplicate port ${port}/${protocol}`);
      numbers.add(`${port}/${protocol}`);
    }
    let targetPort: number | string | undefined = port;
    const tp = sp.targetPort;
    if (typeof tp === 'string') {
      const err = portNameError(tp);
      if (err)
        r.error(
          `${p}/targetPort`,
          `targetPort "${tp}" is not a port number or a valid port name: it ${err}`,
        );
      else targetPort = tp;
    } else if (tp !== undefined && tp !== null && tp !== 0) {
      targetPort = r.port(tp, `${p}/targetPort`, 'targetPort');
    }
    const appProtocol = r.string(sp.appProtocol, `${p}/appProtocol`, 'appProtocol');
    if (port === undefined || targetPort === undefined) return;
    const spec: ServicePortSpec = { port, targetPort, protocol, path: p };
    if (name) spec.name = name;
    if (appProtocol) spec.appProtocol = appProtocol;
    out.push(spec);
  });
  return out;
}

export function readService(
  r: Reader,
  obj: Record<string, unknown>,
  meta: ObjectMeta,
): ServiceSpec | undefined {
  const spec = r.map(obj.spec, '/spec', 'spec') ?? {};
  r.fields(spec, '/spec', SERVICE_FIELDS);
  const rawType = r.string(spec.type, '/spec/type', 'type') ?? 'ClusterIP';
  let type: ServiceType = 'ClusterIP';
  if (TYPES.includes(rawType as ServiceType)) type = rawType as ServiceType;
  else
    r.error(
      '/spec/type',
      `type must be ClusterIP, NodePort, LoadBalancer or ExternalName, got "${rawType}"`,
    );
  if (type === 'NodePort' || type === 'LoadBalancer')
    r.ignore('/spec/type', `treated as ClusterIP: ${NOT_PUBLISHED}`);

  let clusterIP = r.string(spec.clusterIP, '/spec/clusterIP', 'clusterIP');
  let clusterIPPath = '/spec/clusterIP';
  const ips = r.stringList(spec.clusterIPs, '/spec/clusterIPs', 'clusterIPs');
  if (ips && ips.length > 0) {
    if (clusterIP && clusterIP !== ips[0]) {
      r.error(
        '/spec/clusterIPs/0',
        `clusterIPs[0] "${ips[0]}" must equal clusterIP "${clusterIP}"`,
      );
    }
    if (!clusterIP) [clusterIP, clusterIPPath] = [ips[0], '/spec/clusterIPs/0'];
    if (ips.length > 1) r.ignore('/spec/clusterIPs/1', 'the lab is IPv4 only');
  }
  const headless = clusterIP === 'None';
  if (clusterIP && !headless && !isIPv4(clusterIP)) {
    r.error(clusterIPPath, `clusterIP must be an IPv4 address or None, got "${clusterIP}"`);
    clusterIP = undefined;
  }

  const externalName = r.string(spec.externalName, '/spec/externalName', 'externalName');
  if (type === 'ExternalName' && !externalName)
    r.error('/spec', 'externalName is required for type ExternalName');
  if (type !== 'ExternalName' && externalName)
    r.ignore('/spec/externalName', 'only used by type ExternalName');

  const selector = r.stringMap(spec.selector, '/spec/selector', 'selector');
  const ports = readPorts(r, spec.ports, type !== 'ExternalName');
  if (!Array.isArray(spec.ports) || spec.ports.length === 0) {
    if (type !== 'ExternalName' && !headless) {
      r.error(spec.ports ? '/spec/ports' : '/spec', 'a Service needs at least one port');
    }
  }
  const out: ServiceSpec = {
    kind: 'Service',
    ...meta,
    type,
    headless,
    ports,
    source: r.src,
  };
  if (clusterIP && !headless) out.clusterIP = clusterIP;
  if (externalName) out.externalName = externalName;
  if (Object.keys(selector).length > 0) out.selector = selector;
  return out;
}

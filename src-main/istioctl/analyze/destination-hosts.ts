// IST0101 for VirtualService destinations whose host is no Service or ServiceEntry host
// (virtualservice.DestinationHostAnalyzer: hosts made FQDN in the VirtualService's namespace, ServiceEntry wildcards honoured).
import { arr, isObject, obj, str } from '../configdump/json';
import { MESSAGES, type Message } from './messages';
import type { Resource } from './resources';

const CLUSTER_DOMAIN = 'svc.cluster.local';

/** util.ConvertHostToFQDN: a bare name is a Service in the given namespace; names with a dot or a wildcard stay. */
export function hostToFQDN(namespace: string, host: string): string {
  return !host.startsWith('*') && !host.includes('.') ? `${host}.${namespace}.${CLUSTER_DOMAIN}` : host;
}

/** host.Name.SubsetOf for a concrete host against a possibly wildcard one. */
function covers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (pattern === '*') return true;
  return pattern.startsWith('*') && host.endsWith(pattern.slice(1));
}

function knownHosts(resources: Resource[]): string[] {
  const hosts: string[] = [];
  for (const r of resources) {
    if (r.kind === 'Service') hosts.push(`${r.name}.${r.namespace}.${CLUSTER_DOMAIN}`);
    if (r.kind === 'ServiceEntry') hosts.push(...arr(obj(r.body, 'spec'), 'hosts').map(String));
  }
  return hosts;
}

export function destinationHosts(resources: Resource[], out: Message[]): void {
  const hosts = knownHosts(resources);
  for (const vs of resources.filter((r) => r.kind === 'VirtualService')) {
    const spec = obj(vs.body, 'spec');
    for (const section of ['http', 'tcp', 'tls']) {
      arr(spec, section).forEach((rule, i) => {
        arr(rule, 'route').forEach((route, j) => {
          const destination = obj(route, 'destination');
          const host = str(destination, 'host');
          if (!isObject(route) || host === '') return;
          const fqdn = hostToFQDN(vs.namespace, host);
          if (hosts.some((h) => covers(h, fqdn))) return;
          out.push({
            type: MESSAGES.ReferencedResourceNotFound,
            resource: vs,
            params: ['host', host],
            line: vs.lineOf(['spec', section, i, 'route', j, 'destination', 'host']),
          });
        });
      });
    }
  }
}

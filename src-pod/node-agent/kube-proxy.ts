// kube-proxy's iptables mode, reduced to what the lab needs: ClusterIP DNAT and REJECT for Services without endpoints.
import { createHash } from 'node:crypto';
import type { NodeConfig, NodeService, NodeServicePort } from './config';

/** kube-proxy names its per-service chains by a hash of the service port, base32, 16 chars. */
function chainSuffix(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('/')).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[digest[i] % 32];
  return out;
}

const proto = (p: NodeServicePort): string => p.protocol.toLowerCase();
const portName = (svc: NodeService, p: NodeServicePort): string =>
  `${svc.namespace}/${svc.name}${p.name ? `:${p.name}` : ''}`;

/** The complete nat and filter tables for `iptables-restore` (the node's tables are the lab's alone). */
export function kubeProxyRules(config: NodeConfig): string {
  const natChains: string[] = [':KUBE-SERVICES - [0:0]'];
  const natRules: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  ];
  const filterRules: string[] = [
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  ];
  for (const svc of config.services) {
    for (const port of svc.ports) {
      const name = portName(svc, port);
      const match = `-d ${svc.clusterIP}/32 -p ${proto(port)} -m ${proto(port)} --dport ${port.port}`;
      if (port.endpoints.length === 0) {
        filterRules.push(
          `-A KUBE-SERVICES ${match} -m comment --comment "${name} has no endpoints" -j REJECT --reject-with icmp-port-unreachable`,
        );
        continue;
      }
      const svcChain = `KUBE-SVC-${chainSuffix(name, port.protocol)}`;
      natChains.push(`:${svcChain} - [0:0]`);
      natRules.push(
        `-A KUBE-SERVICES ${match} -m comment --comment "${name} cluster IP" -j ${svcChain}`,
      );
      port.endpoints.forEach((ep, i) => {
        const sepChain = `KUBE-SEP-${chainSuffix(name, port.protocol, ep.ip, String(ep.port))}`;
        natChains.push(`:${sepChain} - [0:0]`);
        const left = port.endpoints.length - i;
        // As kube-proxy: each endpoint takes 1/(remaining) of what reaches it, so the split is even.
        const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
        natRules.push(
          `-A ${svcChain} -m comment --comment "${name} -> ${ep.ip}:${ep.port}"${pick} -j ${sepChain}`,
        );
        natRules.push(
          `-A ${sepChain} -p ${proto(port)} -m comment --comment "${name}" -m ${proto(port)} -j DNAT --to-destination ${ep.ip}:${ep.port}`,
        );
      });
    }
  }
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...natChains,
    ...natRules,
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ...filterRules,
    'COMMIT',
    '',
  ].join('\n');
}

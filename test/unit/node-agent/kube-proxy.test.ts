import { describe, expect, it } from 'vitest';
import { kubeProxyRules } from '../../../src-pod/node-agent/kube-proxy';
import type { NodeConfig } from '../../../src-pod/node-agent/config';
import { parseNodeConfig } from '../../../src-pod/node-agent/config';

const config: NodeConfig = {
  nodeIP: '10.244.0.1',
  clusterDomain: 'cluster.local',
  dns: {},
  services: [
    {
      namespace: 'default',
      name: 'httpbin',
      clusterIP: '10.96.0.100',
      ports: [
        {
          name: 'http',
          port: 80,
          protocol: 'TCP',
          endpoints: [
            { ip: '10.244.0.3', port: 8080 },
            { ip: '10.244.0.4', port: 8080 },
            { ip: '10.244.0.5', port: 8080 },
          ],
        },
      ],
    },
    {
      namespace: 'default',
      name: 'gone',
      clusterIP: '10.96.0.101',
      ports: [{ name: '', port: 9000, protocol: 'TCP', endpoints: [] }],
    },
  ],
};

describe('kube-proxy rules', () => {
  const rules = kubeProxyRules(config);
  const lines = rules.split('\n');

  it('sends a ClusterIP port to its service chain from PREROUTING and OUTPUT', () => {
    expect(lines).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    const jump = lines.find((l) => l.startsWith('-A KUBE-SERVICES -d 10.96.0.100/32'));
    expect(jump).toMatch(/-p tcp -m tcp --dport 80 .*-j KUBE-SVC-[A-Z2-7]{16}$/);
  });

  it('splits evenly over endpoints as kube-proxy does (1/3, 1/2, rest)', () => {
    const svcRules = lines.filter((l) => /^-A KUBE-SVC-/.test(l));
    expect(svcRules).toHaveLength(3);
    expect(svcRules[0]).toContain('--probability 0.3333333333');
    expect(svcRules[1]).toContain('--probability 0.5000000000');
    expect(svcRules[2]).not.toContain('statistic');
    const dnat = lines.filter((l) => l.includes('-j DNAT'));
    expect(dnat.map((l) => l.split('--to-destination ')[1])).toEqual([
      '10.244.0.3:8080',
      '10.244.0.4:8080',
      '10.244.0.5:8080',
    ]);
  });

  it('rejects a ClusterIP port with no endpoints in filter, not nat', () => {
    const reject = lines.find((l) => l.includes('10.96.0.101'));
    expect(reject).toBe(
      '-A KUBE-SERVICES -d 10.96.0.101/32 -p tcp -m tcp --dport 9000 -m comment --comment "default/gone has no endpoints" -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(lines.indexOf(reject!)).toBeGreaterThan(lines.indexOf('*filter'));
  });

  it('declares every chain it jumps to', () => {
    const declared = new Set(lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]));
    for (const l of lines.filter((x) => x.startsWith('-A'))) {
      const target = / -j (KUBE-[A-Z0-9-]+)/.exec(l)?.[1];
      if (target) expect(declared).toContain(target);
    }
  });
});

describe('node config', () => {
  it('names the source and the field at fault', () => {
    expect(() => parseNodeConfig('{', 'stdin')).toThrow(/^stdin: not JSON/);
    expect(() => parseNodeConfig('{"services":[]}', 'stdin')).toThrow('stdin: nodeIP is missing');
  });
});

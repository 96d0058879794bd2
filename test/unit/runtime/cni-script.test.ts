import { describe, expect, it } from 'vitest';
import { cniScript, containerName } from '../../../src-main/lab/runtime/pod';

describe('pod network setup', () => {
  it('routes everything through the node, drops the engine DNS rules and writes resolv.conf', () => {
    const script = cniScript('10.244.0.1', "search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n", '127.0.0.1 localhost\n');
    expect(script).toContain('ip route replace default via 10.244.0.1 dev eth0');
    expect(script).toContain('ip route del 10.0.0.0/8 dev eth0');
    expect(script).toContain('iptables-nft -t nat -X');
    expect(script).toContain("nameserver 10.96.0.10\noptions ndots:5\n' > /etc/resolv.conf");
    expect(script).toMatch(/'127\.0\.0\.1 localhost\n' > \/etc\/hosts$/);
  });

  it('quotes single quotes in resolv.conf for the shell', () => {
    expect(cniScript('10.244.0.1', "x'y", '')).toContain(`'x'\\''y'`);
  });

  it('names containers like kubectl would show them', () => {
    expect(containerName('interception', 'default', 'sleep-abc', 'istio-proxy')).toBe('interception-default-sleep-abc-istio-proxy');
    expect(containerName('l', 'n', 'p', 'a/b')).toBe('l-n-p-a-b');
  });
});

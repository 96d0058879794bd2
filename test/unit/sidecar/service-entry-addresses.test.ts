// A ServiceEntry with several addresses, as istiod turns it into xDS: one model service per host and address (convertServices).
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src-pod/sidecar/config';
import { buildSnapshot, DEFAULT_PORTS } from '../../../src-pod/sidecar/xds';
import { baseConfig } from './helpers';

function snapshot(protocol: string): ReturnType<typeof buildSnapshot> {
  const config = validateConfig(
    baseConfig({
      serviceEntries: [
        { name: 'db', namespace: 'default', hosts: ['db.example'], addresses: ['198.51.100.1', '198.51.100.2'], ports: [{ number: 5000, name: 'p', protocol }], resolution: 'STATIC', endpoints: [{ address: '10.0.0.9' }] },
      ],
    }),
  );
  return buildSnapshot(config, DEFAULT_PORTS, false);
}

describe('a ServiceEntry with two addresses', () => {
  it('TCP: a listener per address (ADDRESS_PORT), one cluster for the host', () => {
    const s = snapshot('TCP');
    expect(s.listeners.map((l) => l.name).filter((n) => n.endsWith('_5000'))).toEqual(['198.51.100.1_5000', '198.51.100.2_5000']);
    expect(s.clusters.map((c) => c.name).filter((n) => n.includes('db.example'))).toEqual(['outbound|5000||db.example']);
  });

  it("HTTP: one 0.0.0.0 listener and one virtual host whose address is the last service's (Istio's servicesByName keeps the last)", () => {
    const s = snapshot('HTTP');
    expect(s.listeners.map((l) => l.name).filter((n) => n.endsWith('_5000'))).toEqual(['0.0.0.0_5000']);
    const route = s.routes.find((r) => r.name === '5000');
    const vhosts = route?.virtual_hosts.filter((v) => v.name.startsWith('db.example')) ?? [];
    expect(vhosts.map((v) => v.name)).toEqual(['db.example:5000']);
    expect(vhosts[0].domains).toEqual(['db.example', '198.51.100.2']);
  });
});

// Golden /config_dump of the interception scenario's sleep proxy: what istioctl proxy-config reads, with Envoy's field names and @types.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { proxyConfigFor } from '../../../src-main/lab/mesh/proxy-config';
import { planLab } from '../../../src-main/lab/plan';
import { parseScenarioText } from '../../../src-main/lab/scenario';
import { configDump } from '../../../src-pod/sidecar/admin-views';
import { validateConfig } from '../../../src-pod/sidecar/config';
import { compileTable } from '../../../src-pod/sidecar/routing';
import { DEFAULT_PORTS } from '../../../src-pod/sidecar/xds';

const root = resolve(import.meta.dirname, '../../..');
const file = resolve(root, 'resources/scenarios/interception.yaml');

function sleepDump(): { configs: Record<string, unknown>[] } {
  const plan = planLab(parseScenarioText(readFileSync(file, 'utf8'), file));
  const pod = plan.pods.find((p) => p.name.startsWith('sleep'));
  if (!pod) throw new Error('no sleep pod in the interception scenario');
  const table = compileTable(validateConfig(proxyConfigFor(plan, pod, '1')), DEFAULT_PORTS, false);
  const runtime = { interceptionMode: 'REDIRECT' as const, adminAddress: '127.0.0.1', adminPort: 15000, outboundPort: 15001, inboundPort: 15006, state: 'LIVE' as const, lastUpdated: new Date('2026-01-01T00:00:00Z') };
  return configDump(table, runtime) as { configs: Record<string, unknown>[] };
}

describe('/config_dump of the interception sleep proxy', () => {
  it('matches the golden file', async () => {
    await expect(`${JSON.stringify(sleepDump(), null, 2)}\n`).toMatchFileSnapshot('../../fixtures/sidecar/interception-sleep-config-dump.json');
  });

  it('has the resources istioctl proxy-config builds its tables from', () => {
    const dump = sleepDump();
    const types = dump.configs.map((c) => String(c['@type']).replace('type.googleapis.com/envoy.admin.v3.', ''));
    expect(types).toEqual(['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump', 'ScopedRoutesConfigDump', 'RoutesConfigDump', 'SecretsConfigDump']);
    const listeners = dump.configs[2]['dynamic_listeners'] as { name: string; active_state: { listener: Record<string, unknown> } }[];
    const names = listeners.map((l) => l.name);
    expect(names).toContain('virtualOutbound');
    expect(names).toContain('virtualInbound');
    // httpbin's HTTP port 80 is a 0.0.0.0 listener, as Istio builds it for HTTP; kubernetes' 443 (TLS) is bound to its VIP.
    expect(names).toContain('0.0.0.0_80');
    expect(names).toContain('10.96.0.1_443');
    const vo = listeners.find((l) => l.name === 'virtualOutbound')?.active_state.listener;
    expect(vo?.['use_original_dst']).toBe(true);
    const text = JSON.stringify(dump);
    expect(text).toContain('"@type":"type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"');
    expect(text).toContain('"route_config_name":"80"');
    expect(text).toContain('"name":"outbound|80||httpbin.default.svc.cluster.local"');
  });
});

// proxy-status: istioctl's sync table (Istio's own testdata) and the per-pod diff, through the command line with a stand-in cluster.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../../src-main/istioctl/cluster';
import { compareDumps } from '../../../src-main/istioctl/compare';
import { ConfigDump } from '../../../src-main/istioctl/configdump/dump';
import { istioctlMain } from '../../../src-main/istioctl/main';
import { printSyncTable, proxyPods, syncStatus } from '../../../src-main/istioctl/proxy-status';
import { formatSyncResponse, syncResponse } from '../../../src-main/istioctl/proxy-status-output';

const FIX = join(__dirname, '../../fixtures/istioctl/proxy-status');
const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

function dump(version: string, opts: { extraCluster?: boolean; updated?: string } = {}): Record<string, unknown> {
  const stamp = opts.updated ? { last_updated: opts.updated } : {};
  const clusters = [{ version_info: version, cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'outbound|80||web.default.svc.cluster.local', type: 'EDS' }, ...stamp }];
  if (opts.extraCluster) clusters.unshift({ version_info: version, cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'BlackHoleCluster', type: 'STATIC' }, ...stamp });
  return {
    configs: [
      { '@type': `${ADMIN}BootstrapConfigDump`, bootstrap: {} },
      { '@type': `${ADMIN}ClustersConfigDump`, version_info: version, dynamic_active_clusters: clusters },
      { '@type': `${ADMIN}ListenersConfigDump`, version_info: version, dynamic_listeners: [{ name: 'virtualOutbound', active_state: { version_info: version, listener: { name: 'virtualOutbound', address: {} }, ...stamp } }] },
      { '@type': `${ADMIN}RoutesConfigDump`, dynamic_route_configs: [{ version_info: version, route_config: { name: '80', virtual_hosts: [{ name: 'web:80' }, { name: 'allow_any' }] }, ...stamp }] },
    ],
  };
}
const parsed = (v: unknown): ConfigDump => ConfigDump.parse(JSON.stringify(v));

describe('the sync table', () => {
  it("lays rows out as istioctl's XdsStatusWriter (Istio's testdata)", () => {
    const base = { ecds: 'NOT_SENT', istiod: 'istiod1', version: '1.19' } as const;
    const text = printSyncTable([
      { ...base, proxyId: 'proxy2', clusterId: 'cluster2', cds: 'STALE', lds: 'SYNCED', eds: 'STALE', rds: 'SYNCED' },
      { ...base, proxyId: 'proxy1', clusterId: 'cluster1', cds: 'STALE', lds: 'SYNCED', eds: 'SYNCED', rds: 'NOT_SENT' },
    ]);
    expect(text).toBe(readFileSync(join(FIX, 'multiXdsStatusSinglePilot.txt'), 'utf8'));
  });

  it('SYNCED at the latest version, STALE behind it, NOT_SENT for what was never pushed', () => {
    expect(syncStatus('a.default', parsed(dump('lab-2')), { version: 'lab-2' }, 'sidecar-lab')).toMatchObject({ cds: 'SYNCED', lds: 'SYNCED', eds: 'SYNCED', rds: 'SYNCED', ecds: 'NOT_SENT', clusterId: 'Kubernetes' });
    expect(syncStatus('a.default', parsed(dump('lab-1')), { version: 'lab-2' }, 'sidecar-lab')).toMatchObject({ cds: 'STALE', lds: 'STALE', eds: 'STALE', rds: 'STALE' });
    const bootstrapOnly = { configs: [{ '@type': `${ADMIN}BootstrapConfigDump`, bootstrap: {} }] };
    expect(syncStatus('a.default', parsed(bootstrapOnly), { version: 'lab-2' }, 'sidecar-lab')).toMatchObject({ cds: 'NOT_SENT', lds: 'NOT_SENT', eds: 'NOT_SENT', rds: 'NOT_SENT' });
  });

  it("with the control plane's dump, the content decides: another version with the same config is SYNCED, a changed type STALE", () => {
    const expected = parsed(dump('lab-7', { extraCluster: true }));
    expect(syncStatus('a.default', parsed(dump('lab-3', { extraCluster: true })), { version: 'lab-7', expected }, 'sidecar-lab')).toMatchObject({ cds: 'SYNCED', lds: 'SYNCED', eds: 'SYNCED', rds: 'SYNCED' });
    expect(syncStatus('a.default', parsed(dump('lab-7')), { version: 'lab-7', expected }, 'sidecar-lab')).toMatchObject({ cds: 'STALE', lds: 'SYNCED', eds: 'STALE', rds: 'SYNCED' });
  });

  it('only running pods with an istio-proxy container (or native sidecar) are proxies', () => {
    const pod = (name: string, containers: string[], phase = 'Running', init: { name: string; restartPolicy?: string }[] = []) => ({
      metadata: { name, namespace: 'default' },
      spec: { containers: containers.map((c) => ({ name: c })), initContainers: init },
      status: { phase },
    });
    expect(
      proxyPods([pod('a', ['app', 'istio-proxy']), pod('b', ['app']), pod('c', ['app', 'istio-proxy'], 'Pending'), pod('d', ['app'], 'Running', [{ name: 'istio-proxy', restartPolicy: 'Always' }])]).map((p) => p.name),
    ).toEqual(['a', 'd']);
  });
});

describe('the per-pod diff', () => {
  it('versions and update times are not differences; names are sorted first', () => {
    const envoy = dump('lab-1', { updated: '2026-12-07T13:22:01.123Z' });
    const reversed = dump('lab-2');
    const routes = (reversed['configs'] as { dynamic_route_configs?: { route_config: { virtual_hosts: unknown[] } }[] }[])[3];
    routes.dynamic_route_configs![0].route_config.virtual_hosts.reverse();
    expect(compareDumps(parsed(reversed), parsed(envoy))).toBe('Clusters Match\nListeners Match\nRoutes Match (RDS last loaded at Mon, 07 Dec 2026 13:22:01 UTC)\n');
  });

  it('a difference is printed as a unified diff, Istiod first', () => {
    const text = compareDumps(parsed(dump('lab-2', { extraCluster: true })), parsed(dump('lab-2')));
    // As Python's difflib (go-difflib's model) diffs the same two texts.
    expect(text.startsWith(
      [
        '--- Istiod Clusters',
        '+++ Envoy Clusters',
        '@@ -1,16 +1,9 @@',
        ' {',
        '    "dynamicActiveClusters": [',
        '-      {',
        '-         "cluster": {',
        '-            "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",',
        '-            "name": "BlackHoleCluster",',
        '-            "type": "STATIC"',
        '-         }',
        '-      },',
        '       {',
        '',
      ].join('\n'),
    )).toBe(true);
    expect(text.endsWith('}\n\nListeners Match\nRoutes Match\n')).toBe(true);
  });
});

describe('istioctl ps through the command line', () => {
  const pods = {
    items: [
      { metadata: { name: 'web-1', namespace: 'default' }, spec: { containers: [{ name: 'web' }, { name: 'istio-proxy' }] }, status: { phase: 'Running' } },
      { metadata: { name: 'sleep-1', namespace: 'default' }, spec: { containers: [{ name: 'sleep' }, { name: 'istio-proxy' }] }, status: { phase: 'Running' } },
      { metadata: { name: 'db-0', namespace: 'default' }, spec: { containers: [{ name: 'db' }] }, status: { phase: 'Running' } },
    ],
  };
  const cluster = (dumps: Record<string, unknown>): Cluster => ({
    namespace: 'default',
    api: { get: (path) => (path === '/api/v1/pods' ? Promise.resolve(pods as never) : Promise.reject(new Error(path))), getOptional: () => Promise.resolve(undefined) },
    admin: { request: (pod) => Promise.resolve(JSON.stringify(dumps[pod.name])) },
    controlPlane: { id: 'sidecar-lab', version: () => Promise.resolve('lab-2'), expectedDump: () => Promise.resolve(dump('lab-2') as { configs: unknown[] }) },
  });
  async function run(argv: string[], c: Cluster): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await istioctlMain(argv, { out: (t) => (out += t), err: (t) => (err += t) }, () => Promise.resolve(c));
    return { code, out, err };
  }

  it('ps: every sidecar, sorted, against what the control plane would send now', async () => {
    // web-1 holds an extra cluster the control plane no longer sends; sleep-1 was pushed earlier with the same content.
    const r = await run(['ps'], cluster({ 'web-1': dump('lab-2', { extraCluster: true }), 'sleep-1': dump('lab-1') }));
    expect(r.err).toBe('');
    expect(r.out).toBe(
      [
        'NAME                CLUSTER        CDS        LDS        EDS        RDS        ECDS         ISTIOD          VERSION',
        'sleep-1.default     Kubernetes     SYNCED     SYNCED     SYNCED     SYNCED     NOT_SENT     sidecar-lab     1.22.0',
        'web-1.default       Kubernetes     STALE      SYNCED     STALE      SYNCED     NOT_SENT     sidecar-lab     1.22.0',
        '',
      ].join('\n'),
    );
  });

  it('proxy-status POD: the three comparisons', async () => {
    const r = await run(['proxy-status', 'sleep-1'], cluster({ 'sleep-1': dump('lab-1') }));
    expect([r.code, r.out]).toEqual([0, 'Clusters Match\nListeners Match\nRoutes Match\n']);
  });

  it('without the lab as control plane, and with flags it does not serve, it says so', async () => {
    const plain = { ...cluster({}), controlPlane: undefined } as Cluster;
    const r = await run(['ps'], plain);
    expect([r.code, r.err]).toEqual([1, "Error: unable to find any Istiod instances: proxy-status needs a lab's kubeconfig (context sidecar-lab-<lab>)\n"]);
    const out = await run(['ps', '-o', 'wide'], plain);
    expect([out.code, out.err]).toEqual([64, "Error: proxy-status -o wide is not implemented by the lab's istioctl: it prints the table, json or yaml\n"]);
  });

  it('--revision: the lab is the default revision; another finds no istiod, as istioctl against such a cluster', async () => {
    const c = cluster({ 'web-1': dump('lab-2'), 'sleep-1': dump('lab-2') });
    expect((await run(['ps', '--revision', 'default'], c)).out).toBe((await run(['ps'], c)).out);
    expect(await run(['ps', '-r', 'canary'], c)).toEqual({ code: 1, out: '', err: 'Error: unable to find any Istiod instances\n' });
    expect((await run(['ps', 'sleep-1', '--revision', 'canary'], c)).err).toBe('Error: unable to find any Istiod instances\n');
  });

  it('-o json|yaml: the syncz DiscoveryResponse, one ClientConfig per proxy, the lab as istiod', async () => {
    const c = cluster({ 'web-1': dump('lab-2', { extraCluster: true }), 'sleep-1': dump('lab-1') });
    const json = await run(['ps', '-o', 'json'], c);
    const parsedOut = JSON.parse(json.out) as { versionInfo: string; resources: { node: { id: string }; genericXdsConfigs: { configStatus: string }[] }[]; controlPlane: { identifier: string } };
    expect(parsedOut.versionInfo).toBe('lab-2');
    expect(parsedOut.resources.map((r) => [r.node.id, r.genericXdsConfigs.map((g) => g.configStatus).join(',')])).toEqual([
      ['sleep-1.default', 'SYNCED,SYNCED,SYNCED,SYNCED,NOT_SENT'],
      ['web-1.default', 'STALE,SYNCED,SYNCED,STALE,NOT_SENT'],
    ]);
    expect(JSON.parse(parsedOut.controlPlane.identifier)).toEqual({ Component: 'istiod', ID: 'sidecar-lab', Info: { version: '1.22.0', revision: 'sidecar-lab', golang_version: '', status: 'Clean', tag: '1.22.0' } });
    const yaml = await run(['ps', '-o', 'yaml'], c);
    expect(yaml.out).toMatch(/^controlPlane:\n {2}identifier: '\{"Component":"istiod","ID":"sidecar-lab",/);
    expect(yaml.out.endsWith('versionInfo: lab-2\n\n')).toBe(true);
  });
});

describe("-o json|yaml as Istio's testdata prints one istiod's response", () => {
  const row = { proxyId: 'proxy1', clusterId: 'cluster1', version: '1.20', istiod: 'istiod1', cds: 'STALE', lds: 'SYNCED', rds: 'NOT_SENT', eds: 'SYNCED', ecds: 'SYNCED' } as const;
  const info = { version: '1.1', revision: '', golang_version: '', status: '', tag: '' };
  it('json (multiXdsStatusSinglePilot.json)', () => {
    expect(formatSyncResponse(syncResponse([row], '1.1', 'istiod1', info), 'json')).toBe(readFileSync(join(FIX, 'multiXdsStatusSinglePilot.json'), 'utf8'));
  });
  it('yaml (multiXdsStatusSinglePilot.yaml)', () => {
    expect(formatSyncResponse(syncResponse([row], '1.1', 'istiod1', info), 'yaml')).toBe(readFileSync(join(FIX, 'multiXdsStatusSinglePilot.yaml'), 'utf8'));
  });
});

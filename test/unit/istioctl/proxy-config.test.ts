// istioctl proxy-config writers against istio/istio's own test data (fixtures/istioctl), through the command line as a user runs them.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { istioctlMain } from '../../../src-main/istioctl/main';
import type { PodRef, ProxyAdmin } from '../../../src-main/istioctl/proxy-admin';

const FIX = join(__dirname, '../../fixtures/istioctl');
const fixture = (p: string): string => readFileSync(join(FIX, p), 'utf8');

async function run(argv: string[], admin?: ProxyAdmin): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await istioctlMain(argv, { out: (t) => (out += t), err: (t) => (err += t) }, async () => {
    if (!admin) throw new Error('no lab in this test');
    const api = { get: () => Promise.reject(new Error('no API in this test')), getOptional: () => Promise.resolve(undefined) };
    return { namespace: 'default', api, admin };
  });
  return { code, out, err };
}

describe('proxy-config -f: istioctl golden outputs', () => {
  it.each(['empty-gateway', 'istio-gateway-http-route-prefix', 'k8s-gateway-http-route-path-prefix'])('route %s', async (dir) => {
    const r = await run(['proxy-config', 'route', '-f', join(FIX, 'routes', dir, 'configdump.json')]);
    expect(r.err).toBe('');
    expect(r.out).toBe(fixture(`routes/${dir}/output.txt`));
  });

  it('secret (VALID CERT is computed now: the default cert expired in 2023, ROOTCA runs to 2033)', async () => {
    const r = await run(['pc', 'secret', `--file=${join(FIX, 'secret/istio/config_dump.json')}`]);
    expect(r.out).toBe(fixture('secret/istio/output'));
  });

  it('all: bootstrap, clusters, listeners, routes, secrets and EDS endpoints with their NAME column', async () => {
    const r = await run(['pc', 'a', '-f', join(FIX, 'proxyconfig/config_dump.json')]);
    expect(r.out).toBe(fixture('proxyconfig/config_dump_summary.txt'));
  });
});

describe('proxy-config filters and formats', () => {
  const dump = join(FIX, 'proxyconfig/config_dump.json');

  it('listener --verbose=false shows TYPE; --port keeps one listener', async () => {
    expect((await run(['pc', 'listener', '-f', dump, '--verbose=false'])).out).toBe(
      'ADDRESSES PORT  TYPE\n          0     HTTP+TCP\n0.0.0.0   15021 HTTP\n',
    );
    expect((await run(['pc', 'l', '-f', dump, '--port', '15021'])).out).toBe(
      'ADDRESSES PORT  MATCH DESTINATION\n0.0.0.0   15021 ALL   Inline Route: /healthz/ready*\n',
    );
  });

  it('cluster --direction and --fqdn filter by substring of the name', async () => {
    const r = await run(['pc', 'clusters', '-f', dump, '--direction', 'inbound-vip']);
    expect(r.out.split('\n')[1]).toMatch(/^httpbin\.default\.svc\.cluster\.local +8000 +http +inbound-vip +EDS/);
    expect(r.out.trim().split('\n')).toHaveLength(2);
  });

  it('-o json prints the messages with protojson names, map keys untouched', async () => {
    const r = await run(['pc', 'cluster', '-f', dump, '--fqdn', 'httpbin', '-ojson']);
    const parsed = JSON.parse(r.out) as Record<string, unknown>[];
    expect(parsed).toHaveLength(1);
    expect(Object.keys(parsed[0])).toContain('edsClusterConfig');
    expect(parsed[0]).not.toHaveProperty('@type');
    expect(r.out).toContain('"filterMetadata": {\n                "istio": {');
  });

  it('endpoint reads /clusters?format=json (either spelling), sorted by address text, port, cluster as clusters.go does', async () => {
    const r = await run(['pc', 'ep', '-f', join(FIX, 'clusters/clusters.json'), '--port', '443']);
    const rows = r.out.trim().split('\n');
    expect(rows[0]).toBe('ENDPOINT            STATUS      OUTLIER CHECK     CLUSTER');
    expect(rows.slice(1).map((l) => l.split(/ +/)[0])).toEqual(['172.17.0.13:443', '172.17.0.19:443', '172.17.0.4:443', '172.17.0.6:443']);
  });
});

describe('proxy-config on a pod, through the admin interface', () => {
  it('fetches config_dump from the named pod and namespace', async () => {
    const asked: string[] = [];
    const admin: ProxyAdmin = {
      request: async (pod: PodRef, method, path) => {
        asked.push(`${method} ${pod.namespace}/${pod.name} ${path}`);
        return fixture('routes/empty-gateway/configdump.json');
      },
    };
    const r = await run(['proxy-config', 'route', 'sleep-7d9d.demo'], admin);
    expect(asked).toEqual(['GET demo/sleep-7d9d config_dump']);
    expect(r.out).toBe(fixture('routes/empty-gateway/output.txt'));
  });

  it('log --level debug posts /logging?level=debug as istioctl does', async () => {
    const asked: string[] = [];
    const admin: ProxyAdmin = {
      request: async (_pod, method, path) => {
        asked.push(`${method} ${path}`);
        return 'active loggers:\n  http: debug\n';
      },
    };
    const r = await run(['pc', 'log', 'sleep', '--level', 'debug'], admin);
    expect(asked).toEqual(['POST logging', 'POST logging?level=debug']);
    expect(r.out).toBe('sleep.default:\nactive loggers:\n  http: debug\n');
  });
});

describe('errors name what is wrong', () => {
  it('a pod or --file is required, not both', async () => {
    const r = await run(['pc', 'listener']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Error: listener requires pod name or --file parameter');
  });

  it('an unknown flag, an unsupported output and an unimplemented command are named', async () => {
    const bogus = await run(['pc', 'cluster', '-f', 'x', '--bogus']);
    expect([bogus.code, bogus.err.split('\n')[0]]).toEqual([64, 'Error: unknown flag: --bogus']);
    expect((await run(['pc', 'listener', 'a', 'b'])).err).toContain('listener requires pod name or --file parameter');
    expect((await run(['pc', 'cluster', '-f', join(FIX, 'proxyconfig/config_dump.json'), '-o', 'wide'])).err).toContain('output format "wide" not supported');
    const install = await run(['install']);
    expect(install.code).not.toBe(0);
    expect(install.err).toContain('command "install" is not implemented');
    expect((await run(['pc', 'listener', 'p', '--waypoint'])).err).toContain('flag --waypoint is not implemented');
  });

  it('a missing file and a bad dump say which', async () => {
    expect((await run(['pc', 'cluster', '-f', '/nonexistent/dump.json'])).err).toBe(
      'Error: open /nonexistent/dump.json: no such file or directory\n',
    );
    expect((await run(['pc', 'cluster', '-f', join(FIX, 'README.md')])).err).toMatch(/^Error: error unmarshalling config dump response from Envoy: /);
  });
});

describe('proxy-config all stops where Go stops', () => {
  it('a dump without listeners prints the bootstrap and cluster tables, then the error', async () => {
    const full = JSON.parse(fixture('proxyconfig/config_dump.json')) as { configs: { '@type': string }[] };
    full.configs = full.configs.filter((c) => !c['@type'].endsWith('ListenersConfigDump'));
    const dir = mkdtempSync(join(tmpdir(), 'pc-all-'));
    writeFileSync(join(dir, 'dump.json'), JSON.stringify(full));
    const r = await run(['pc', 'all', '-f', join(dir, 'dump.json')]);
    expect(r.out).toBe(fixture('proxyconfig/config_dump_summary.txt').split('\nNAME                   ADDRESSES')[0] + '\n');
    expect(r.err).toBe('Error: listener dump: config dump has no configuration type type.googleapis.com/envoy.admin.v3.ListenersConfigDump\n');
  });
});

describe('bootstrap', () => {
  const dump = join(FIX, 'proxyconfig/config_dump.json');

  it('-o short is the version summary at the head of `all`', async () => {
    expect((await run(['pc', 'bootstrap', '-f', dump, '-o', 'short'])).out).toBe(fixture('proxyconfig/config_dump_summary.txt').split('\n\n')[0] + '\n');
  });

  it('defaults to JSON with protojson field names; the node metadata (a Struct) keeps its keys', async () => {
    const r = await run(['pc', 'b', '-f', dump]);
    const parsed = JSON.parse(r.out) as { bootstrap: { node: Record<string, Record<string, unknown>> }; lastUpdated: string };
    expect(parsed.lastUpdated).toBe('2023-12-26T05:57:09.894Z');
    expect(Object.keys(parsed.bootstrap.node.metadata)).toEqual(expect.arrayContaining(['ISTIO_VERSION', 'ISTIO_PROXY_SHA']));
    expect(Object.keys(parsed)).toEqual(['bootstrap', 'lastUpdated']);
    expect(Object.keys(parsed.bootstrap.node.metadata.metadata as object)).toContain('build.label');
  });
});

describe('version and help', () => {
  it('version --remote=false prints the istioctl release the lab follows; unknown commands are named', async () => {
    expect(await run(['version', '--remote=false'])).toEqual({ code: 0, out: '1.22.0\n', err: '' });
    const r = await run(['dashboard']);
    expect(r.err).toContain('command "dashboard" is not implemented');
    expect((await run(['frobnicate'])).err).toBe('Error: unknown command "frobnicate" for "istioctl"\n');
  });
});

describe('eds (hidden in istioctl): endpoints from the dump, not /clusters', () => {
  const dump = join(FIX, 'proxyconfig/config_dump.json');

  it('--port keeps the matching endpoints; -o json prints their assignments with only those endpoints', async () => {
    expect((await run(['pc', 'eds', '-f', dump, '--port', '15000'])).out).toBe(
      'NAME                STATUS      LOCALITY     CLUSTER\n127.0.0.1:15000     HEALTHY                  prometheus_stats\n',
    );
    const parsed = JSON.parse((await run(['pc', 'eds', '-f', dump, '--status', 'healthy', '--cluster', 'PROMETHEUS_STATS', '-o', 'json'])).out) as {
      clusterName: string;
      endpoints: { lbEndpoints: unknown[] }[];
    }[];
    expect(parsed.map((a) => [a.clusterName, a.endpoints[0].lbEndpoints.length])).toEqual([['prometheus_stats', 1]]);
  });
});

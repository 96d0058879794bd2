// istioctl analyze --use-kube=false on files: Istio's codes, message texts, origins with file:line, order and exit codes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { istioctlMain } from '../../../src-main/istioctl/main';
import { protocolUnsupported } from '../../../src-main/istioctl/analyze/analyzers';
import type { Cluster } from '../../../src-main/istioctl/cluster';

const FILE = join(__dirname, '../../fixtures/istioctl/analyze/interception.yaml');

async function run(argv: string[], cluster?: Cluster): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await istioctlMain(argv, { out: (t) => (out += t), err: (t) => (err += t) }, () => (cluster ? Promise.resolve(cluster) : Promise.reject(new Error('no lab'))));
  return { code, out, err };
}

describe('analyze --use-kube=false FILE', () => {
  it('reports the interception traps, errors first, each with its resource, file and line', async () => {
    const r = await run(['analyze', '--use-kube=false', FILE]);
    expect(r.out.split('\n')).toEqual([
      `Error [IST0101] (VirtualService routes.default ${FILE}:97) Referenced host not found: "ratings"`,
      `Warning [IST0103] (Pod sleep.default ${FILE}:33) The pod default/sleep is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.`,
      `Warning [IST0144] (Deployment proxy-like.default ${FILE}:44) User ID (UID) 1337 is reserved for the sidecar proxy.`,
      `Warning [IST0144] (Pod sleep.default ${FILE}:33) User ID (UID) 1337 is reserved for the sidecar proxy.`,
      `Info [IST0102] (Namespace legacy ${FILE}:9) The namespace is not enabled for Istio injection. Run 'kubectl label namespace legacy istio-injection=enabled' to enable it, or 'kubectl label namespace legacy istio-injection=disabled' to explicitly mark it as not needing injection.`,
      `Info [IST0118] (Service httpbin.default ${FILE}:25) Port name web (port: 8080, targetPort: http) doesn't follow the naming convention of Istio port.`,
      '',
    ]);
    // The IST0101 error reaches istioctl's default failure threshold (Error).
    expect(r.code).toBe(79);
  });

  it('--failure-threshold and --output-threshold: Warnings fail, Info is hidden; only Info passes', async () => {
    const r = await run(['analyze', '--use-kube=false', '--failure-threshold', 'Warning', '--output-threshold=Warning', FILE]);
    expect(r.code).toBe(79);
    expect(r.out).not.toContain('Info [');
    expect(r.out).toContain('Warning [IST0144]');
    expect(r.err).toBe(
      'Error: Analyzers found issues when analyzing namespace: default.\nSee https://istio.io/v1.22/docs/reference/config/analysis for more information about causes and resolutions.\n',
    );
  });

  it('a clean file says so on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyze-'));
    const clean = join(dir, 'svc.yaml');
    writeFileSync(clean, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - name: http\n    port: 80\n');
    const r = await run(['analyze', '--use-kube=false', clean]);
    expect(r).toEqual({ code: 0, out: '', err: '\u2714 No validation issues found when analyzing namespace: default.\n' });
  });

  it('bad YAML names the file and line; without --use-kube=false the cluster is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyze-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kind: Service\nmetadata:\n  name: x\n  labels: [a\n');
    expect((await run(['analyze', '--use-kube=false', bad])).err).toMatch(new RegExp(`^Error: ${bad}:\\d+: `));
    expect((await run(['analyze', FILE])).err).toBe('Error: no lab\n');
  });
});

describe('port protocol as pkg/config/kube.ConvertProtocol decides it', () => {
  it.each([
    [{ name: 'http-web', port: 80 }, false],
    [{ name: 'HTTP2', port: 80 }, false],
    [{ name: 'grpc-web-x', port: 80 }, false],
    [{ name: 'web', port: 80 }, true],
    [{ name: 'web', port: 80, appProtocol: 'http' }, false],
    [{ name: 'http', port: 80, appProtocol: 'custom' }, true],
    [{ name: 'dns', port: 53, protocol: 'UDP' }, false],
    [{ port: 3306 }, false],
    [{ port: 3307 }, true],
  ])('%j unsupported: %s', (port, expected) => {
    expect(protocolUnsupported(port)).toBe(expected);
  });
});

describe('IST0101 destination hosts', () => {
  it('a short name is a Service in the VirtualService namespace; ServiceEntry wildcards cover their subdomains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyze-'));
    const f = join(dir, 'vs.yaml');
    writeFileSync(
      f,
      [
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: reviews\n  namespace: shop\nspec:\n  ports:\n  - name: http\n    port: 9080',
        'apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: r\n  namespace: shop\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n    - destination:\n        host: reviews.shop.svc.cluster.local',
        'apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: r\n  namespace: other\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews',
      ].join('\n---\n'),
    );
    const r = await run(['analyze', '--use-kube=false', '-A', f]);
    expect(r.out).toBe(`Error [IST0101] (VirtualService r.other ${f}:35) Referenced host not found: "reviews"\n`);
  });
});

describe('analyze of the cluster (the API)', () => {
  const lists: Record<string, unknown> = {
    '/api/v1/namespaces': { items: [{ metadata: { name: 'default' } }, { metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } }] },
    '/api/v1/pods': {
      items: [
        { metadata: { name: 'legacy-1', namespace: 'shop', labels: { app: 'legacy' } }, spec: { containers: [{ name: 'app' }] } },
        { metadata: { name: 'web-1', namespace: 'shop' }, spec: { containers: [{ name: 'web', securityContext: { runAsUser: 1337 } }, { name: 'istio-proxy' }] } },
      ],
    },
    '/api/v1/services': { items: [{ metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ name: 'web', port: 80, targetPort: 8080 }] } }] },
  };
  const cluster: Cluster = {
    namespace: 'default',
    api: { get: (p) => Promise.reject(new Error(p)), getOptional: (p) => Promise.resolve(lists[p] as never) },
    admin: { request: () => Promise.reject(new Error('no admin')) },
  };

  it('messages name their resources as kube origins do: no file or line', async () => {
    const r = await run(['analyze', '-n', 'shop'], cluster);
    expect(r.out).toBe(
      [
        'Warning [IST0103] (Pod legacy-1.shop) The pod shop/legacy-1 is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.',
        'Warning [IST0144] (Pod web-1.shop) User ID (UID) 1337 is reserved for the sidecar proxy.',
        // A cluster-scoped origin has no namespace: istioctl keeps its messages whatever -n says.
        "Info [IST0102] (Namespace default) The namespace is not enabled for Istio injection. Run 'kubectl label namespace default istio-injection=enabled' to enable it, or 'kubectl label namespace default istio-injection=disabled' to explicitly mark it as not needing injection.",
        "Info [IST0118] (Service web.shop) Port name web (port: 80, targetPort: 8080) doesn't follow the naming convention of Istio port.",
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
    const json = JSON.parse((await run(['analyze', '-n', 'shop', '-o', 'json'], cluster)).out) as Record<string, string>[];
    expect(json[0]).toEqual({
      code: 'IST0103',
      documentationUrl: 'https://istio.io/v1.22/docs/reference/config/analysis/ist0103/',
      level: 'Warning',
      message: 'The pod shop/legacy-1 is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.',
      origin: 'Pod legacy-1.shop',
    });
  });

  it("the kubeconfig context's namespace is the default; its Namespace object is analyzed too", async () => {
    const r = await run(['analyze'], cluster);
    expect(r.out).toMatch(/^Info \[IST0102\] \(Namespace default\) The namespace is not enabled for Istio injection/);
  });

  it('--revision (default `default`): Istio config another revision claims with istio.io/rev is not read; Kubernetes objects always are', async () => {
    const vs = (name: string, labels?: Record<string, string>) => ({
      metadata: { name, namespace: 'shop', ...(labels ? { labels } : {}) },
      spec: { hosts: ['web'], http: [{ route: [{ destination: { host: `${name}-missing` } }] }] },
    });
    const revLists: Record<string, unknown> = {
      ...lists,
      '/apis/networking.istio.io/v1/virtualservices': { items: [vs('plain'), vs('for-default', { 'istio.io/rev': 'default' }), vs('for-canary', { 'istio.io/rev': 'canary' })] },
    };
    const revCluster: Cluster = { ...cluster, api: { get: (p) => Promise.reject(new Error(p)), getOptional: (p) => Promise.resolve(revLists[p] as never) } };
    const ist0101 = (out: string) => out.split('\n').filter((l) => l.includes('IST0101')).map((l) => /\(VirtualService ([a-z-]+)\.shop\)/.exec(l)?.[1]);
    const byDefault = await run(['analyze', '-n', 'shop'], revCluster);
    expect(ist0101(byDefault.out)).toEqual(['for-default', 'plain']);
    expect(ist0101((await run(['analyze', '-n', 'shop', '--revision', 'default'], revCluster)).out)).toEqual(['for-default', 'plain']);
    const canary = await run(['analyze', '-n', 'shop', '-r', 'canary'], revCluster);
    expect(ist0101(canary.out)).toEqual(['for-canary', 'plain']);
    // The pods and Services are the same in every revision's view.
    expect(canary.out).toContain('Warning [IST0103] (Pod legacy-1.shop)');
  });
});

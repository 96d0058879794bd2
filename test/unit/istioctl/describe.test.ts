// x describe pod: Istio's describe testdata (the productpage case) through the command line, with a stand-in cluster and config dump.
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../../src-main/istioctl/cluster';
import { istioctlMain } from '../../../src-main/istioctl/main';
import { protocolName } from '../../../src-main/istioctl/describe/pod';
import { interceptionLines } from '../../../src-main/istioctl/describe/lab-extras';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
const POD = {
  metadata: { name: 'productpage-v1-1234567890', namespace: 'default', labels: { app: 'productpage' } },
  spec: { containers: [{ name: 'productpage', ports: [{ name: 'http', containerPort: 9080, protocol: 'TCP' }] }, { name: 'istio-proxy' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'istio-proxy', ready: true }] },
};
const SERVICE = { metadata: { name: 'productpage', namespace: 'default' }, spec: { selector: { app: 'productpage' }, ports: [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }] } };
const VS = {
  metadata: { name: 'bookinfo', namespace: 'default' },
  spec: {
    hosts: ['productpage'],
    gateways: ['fake-gw'],
    http: [{ match: [{ uri: { prefix: '/prefix' } }], route: [{ destination: { host: 'productpage' }, weight: 30 }, { destination: { host: 'productpage2' }, weight: 20 }, { destination: { host: 'productpage3' }, weight: 50 }] }],
  },
};
const DR = { metadata: { name: 'productpage', namespace: 'default' }, spec: { host: 'productpage', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } };
const istio = (kind: string, name: string) => ({ filter_metadata: { istio: { config: `/apis/networking.istio.io/v1alpha3/namespaces/default/${kind}/${name}` } } });
/** What istiod's breadcrumbs look like in a sidecar's dump (describe's testdata/http_config.json, reduced). */
const DUMP = {
  configs: [
    { '@type': `${ADMIN}ClustersConfigDump`, dynamic_active_clusters: [{ cluster: { name: 'outbound|9080||productpage.default.svc.cluster.local', metadata: istio('destination-rule', 'productpage') } }] },
    {
      '@type': `${ADMIN}RoutesConfigDump`,
      dynamic_route_configs: [{ route_config: { name: '9080', virtual_hosts: [{ name: 'productpage.default.svc.cluster.local:9080', domains: ['productpage.default.svc.cluster.local'], routes: [{ metadata: istio('virtual-service', 'bookinfo') }] }] } }],
    },
  ],
};

function cluster(objects: Record<string, unknown>, dump: unknown): Cluster {
  const get = (path: string) => (path in objects ? Promise.resolve(objects[path] as never) : Promise.reject(new Error(`404 ${path}`)));
  return {
    namespace: 'default',
    api: { get, getOptional: (path) => Promise.resolve((objects[path] as never) ?? undefined) },
    admin: { request: () => (dump ? Promise.resolve(JSON.stringify(dump)) : Promise.reject(new Error('failure running port forward process: Get "http://localhost:15000/config_dump": EOF'))) },
  };
}
const BASE = {
  '/api/v1/namespaces/default/pods/productpage-v1-1234567890': POD,
  '/api/v1/namespaces/default/services': { items: [SERVICE] },
  '/api/v1/namespaces/istio-system/configmaps/istio': { data: { mesh: 'rootNamespace: istio-system\n' } },
  '/api/v1/pods': { items: [POD] },
};

async function run(argv: string[], c: Cluster): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await istioctlMain(argv, { out: (t) => (out += t), err: (t) => (err += t) }, () => Promise.resolve(c));
  return { code, out, err };
}

// Istio's describe_test.go expects this block for the productpage Service (printLevel1 indentation of current istioctl).
const ISTIO_BLOCK = `Service: productpage
   Port: http 9080/HTTP targets pod port 9080
DestinationRule: productpage for "productpage"
   WARNING POD DOES NOT MATCH ANY SUBSETS.  (Non matching subsets v1)
   Matching subsets: 
      (Non-matching subsets v1)
   No Traffic Policy
VirtualService: bookinfo
   Route to host "productpage" with weight 30%
   Route to host "productpage2" with weight 20%
   Route to host "productpage3" with weight 50%
   Match: /prefix*
`;

describe('x describe pod', () => {
  it("the pod, its Service, and the rules the sidecar's config names, as istioctl prints them", async () => {
    const objects = { ...BASE, '/apis/networking.istio.io/v1/virtualservices': { items: [VS] }, '/apis/networking.istio.io/v1/namespaces/default/destinationrules': { items: [DR] } };
    const r = await run(['x', 'describe', 'pod', 'productpage-v1-1234567890'], cluster(objects, DUMP));
    expect(r.err).toBe('');
    expect(r.out).toBe(
      'Pod: productpage-v1-1234567890\n   Pod Revision: \n   Pod Ports: 9080 (productpage)\n' +
        'Suggestion: add required service revision label for Istio telemetry. See https://istio.io/latest/docs/ops/deployment/application-requirements/.\n' +
        '--------------------\n' +
        ISTIO_BLOCK +
        '--------------------\nEffective PeerAuthentication:\n   Workload mTLS mode: PERMISSIVE\n' +
        'Skipping Gateway information (no ingress gateway pods)\n' +
        '--------------------\nSidecar: none (the proxy is given every Service of the mesh)\n' +
        "Traffic interception: no istio-init container (the pod's traffic is not redirected by it)\n",
    );
  });

  it('a dump without breadcrumbs: the DestinationRule and mesh VirtualService istiod would attach are found in the API', async () => {
    const meshVs = { ...VS, spec: { ...VS.spec, gateways: ['mesh'] } };
    const gatewayOnly = { metadata: { name: 'edge', namespace: 'default', creationTimestamp: '2020-01-01T00:00:00Z' }, spec: { ...VS.spec, gateways: ['fake-gw'] } };
    const objects = { ...BASE, '/apis/networking.istio.io/v1/virtualservices': { items: [gatewayOnly, meshVs] }, '/apis/networking.istio.io/v1/namespaces/default/destinationrules': { items: [DR] } };
    const r = await run(['experimental', 'describe', 'po', 'productpage-v1-1234567890.default'], cluster(objects, { configs: [] }));
    expect(r.out).toContain(`--------------------\n${ISTIO_BLOCK}--------------------\n`);
  });

  it('a pod not in the mesh: the warning, then the failed port-forward as istioctl reports it', async () => {
    const plain = { ...POD, spec: { containers: [POD.spec.containers[0]] } };
    const r = await run(['x', 'describe', 'pod', 'productpage-v1-1234567890'], cluster({ ...BASE, '/api/v1/namespaces/default/pods/productpage-v1-1234567890': plain }, undefined));
    expect(r.out).toBe('Pod: productpage-v1-1234567890\n   Pod Revision: \n   Pod Ports: 9080 (productpage)\nWARNING: productpage-v1-1234567890 is not part of mesh; no Istio sidecar\n--------------------\n');
    expect([r.code, r.err]).toEqual([1, 'Error: failed to execute command on sidecar: failure running port forward process: Get "http://localhost:15000/config_dump": EOF\n']);
  });

  it('errors: no pod name, a pod that is not there, an unserved kind', async () => {
    const c = cluster(BASE, DUMP);
    expect((await run(['x', 'describe', 'pod'], c)).err).toBe('Error: expecting pod name\n');
    expect((await run(['x', 'describe', 'pod', 'nope'], c)).code).toBe(1);
    // istioctl 1.22's describe attaches no control-plane flags.
    expect(await run(['x', 'describe', 'pod', 'productpage-v1-1234567890', '--revision', 'canary'], c)).toMatchObject({ code: 64, err: "Error: unknown flag: --revision\nRun 'istioctl --help' for usage.\n" });
  });

  it("a pod injected by another revision reads that revision's mesh ConfigMap, istio-<rev>, as getMeshConfig does", async () => {
    const canary = { ...POD, metadata: { ...POD.metadata, annotations: { 'istio.io/rev': 'canary' } } };
    const r = await run(['x', 'describe', 'pod', 'productpage-v1-1234567890'], cluster({ ...BASE, '/api/v1/namespaces/default/pods/productpage-v1-1234567890': canary }, DUMP));
    expect(r.out).toContain('   Pod Revision: canary\n');
    expect([r.code, r.err]).toEqual([1, 'Error: failed to fetch mesh config: could not read configmap "istio-canary" from namespace "istio-system": configmaps "istio-canary" not found\n']);
  });
});

describe('x describe service', () => {
  const listPath = '/api/v1/namespaces/default/pods?labelSelector=app%3Dproductpage';
  const objects = {
    ...BASE,
    '/api/v1/namespaces/default/services/productpage': SERVICE,
    '/apis/networking.istio.io/v1/virtualservices': { items: [VS] },
    '/apis/networking.istio.io/v1/namespaces/default/destinationrules': { items: [DR] },
  };

  it("the Service's block of describe pod from its first ready pod, then the gateways (Istio's productpage testdata)", async () => {
    const r = await run(['x', 'describe', 'svc', 'productpage'], cluster({ ...objects, [listPath]: { items: [POD] } }, DUMP));
    expect(r.err).toBe('');
    expect(r.out).toBe(`${ISTIO_BLOCK}Skipping Gateway information (no ingress gateway pods)\n`);
  });

  it('subsets match against every meshed pod of the Service; pods not ready or not meshed are named', async () => {
    const v1 = { ...POD, metadata: { ...POD.metadata, name: 'productpage-v1-2', labels: { app: 'productpage', version: 'v1' } } };
    const pending = { ...POD, metadata: { ...POD.metadata, name: 'productpage-p' }, status: { phase: 'Pending' } };
    const plain = { ...POD, metadata: { ...POD.metadata, name: 'productpage-plain' }, spec: { containers: [POD.spec.containers[0]] }, status: { phase: 'Running', containerStatuses: [{ name: 'productpage', ready: true }] } };
    const r = await run(['x', 'describe', 'service', 'productpage.default'], cluster({ ...objects, [listPath]: { items: [pending, plain, POD, v1] } }, DUMP));
    expect(r.out).toMatch(/^ {3}Pod is not Running \(Pending\)\nPod productpage-plain: no container "istio-proxy" in pod\nService: productpage\n/);
    expect(r.out).toContain('DestinationRule: productpage for "productpage"\n   Matching subsets: v1\n   No Traffic Policy\n');
  });

  it('a Service with no pods, or with no meshed ones, says so and succeeds; a missing Service is the API error', async () => {
    const none = await run(['x', 'describe', 'svc', 'productpage'], cluster({ ...objects, [listPath]: { items: [] } }, DUMP));
    expect([none.code, none.out]).toEqual([0, 'Service "productpage" has no pods.\n']);
    const unmeshed = { ...POD, spec: { containers: [POD.spec.containers[0]] }, status: { phase: 'Running', containerStatuses: [] } };
    const r = await run(['x', 'describe', 'svc', 'productpage', '-n', 'default'], cluster({ ...objects, [listPath]: { items: [unmeshed] } }, DUMP));
    expect(r.out).toBe(
      'Pod productpage-v1-1234567890: no container "istio-proxy" in pod\nService "productpage" has no Istio pods.  (1 pods in service).\nUse `istioctl kube-inject` or redeploy with Istio automatic sidecar injection.\n',
    );
    expect((await run(['x', 'describe', 'svc'], cluster(objects, DUMP))).err).toBe('Error: expecting service name\n');
    expect((await run(['x', 'describe', 'svc', 'nope'], cluster(objects, DUMP))).code).toBe(1);
  });
});

describe('pieces', () => {
  it("findProtocolForPort, as Istio's TestFindProtocolForPort", () => {
    expect(protocolName({ name: 'http', port: 0, protocol: 'TCP' })).toBe('HTTP');
    expect(protocolName({ name: 'GRPC-port', port: 0, protocol: 'TCP' })).toBe('GRPC');
    expect(protocolName({ appProtocol: 'HTTP', port: 0, protocol: 'TCP' })).toBe('HTTP');
    expect(protocolName({ port: 80, protocol: 'TCP' })).toBe('auto-detect');
    expect(protocolName({ port: 80, protocol: 'UDP' })).toBe('UDP');
  });

  it("interception from istio-init's arguments", () => {
    const pod = {
      metadata: { name: 'a', namespace: 'default' },
      spec: { initContainers: [{ name: 'istio-init', args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '10.0.0.1/32', '-b', '*', '-d', '15090,15021,15020', '-o', '3306'] }] },
    };
    expect(interceptionLines(pod)).toBe(
      'Traffic interception (istio-init, REDIRECT):\n   Inbound ports: *, except 15090,15021,15020 -> 15006\n   Outbound IP ranges: *, except 10.0.0.1/32 -> 15001\n   Outbound ports excluded: 3306\n   The proxy\'s own traffic (uid 1337) is not captured\n',
    );
  });
});

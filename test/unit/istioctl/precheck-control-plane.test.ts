// x precheck's control-plane checks as istioctl 1.22 runs them: the Kubernetes version (Istio's k8sversion test data), install
// permissions asked through SelfSubjectAccessReviews, the Gateway API CRDs' versions and the alpha-annotation analyzer.
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../../src-main/istioctl/cluster';
import { istioctlMain } from '../../../src-main/istioctl/main';
import { kubernetesMinor, MIN_K8S_MINOR } from '../../../src-main/istioctl/precheck/control-plane';

interface Fake {
  gitVersion?: string;
  crds?: unknown[];
  review?: { allowed: boolean; reason?: string };
  reviews?: unknown[];
  objects?: Record<string, unknown[]>;
}

function cluster(fake: Fake): Cluster {
  const get = <T>(path: string): Promise<T> => {
    if (path === '/version') return Promise.resolve({ gitVersion: fake.gitVersion ?? 'v1.32.5' } as T);
    if (path === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions') return Promise.resolve({ items: fake.crds ?? [] } as T);
    const list = Object.entries(fake.objects ?? {}).find(([prefix]) => path.split('?')[0] === prefix);
    // The data-plane check lists running injected pods; none of these has an old proxy.
    if (path.includes('?')) return Promise.resolve({ items: [] } as T);
    return Promise.resolve({ items: list?.[1] ?? [] } as T);
  };
  return {
    namespace: 'default',
    api: {
      get,
      getOptional: get,
      create: <T>(_path: string, body: unknown) => {
        fake.reviews?.push(body);
        return Promise.resolve({ ...(body as object), status: fake.review ?? { allowed: true } } as T);
      },
    },
    admin: { request: () => Promise.reject(new Error('no proxy')) },
    exec: () => Promise.reject(new Error('no exec')),
  };
}

async function run(args: string[], c: Cluster) {
  let stdout = '';
  let stderr = '';
  const code = await istioctlMain(args, { out: (t) => (stdout += t), err: (t) => (stderr += t) }, () => Promise.resolve(c));
  return { code, stdout, stderr };
}

const FAILED =
  'Error: Issues found when checking the cluster. Istio may not be safe to install or upgrade.\nSee https://istio.io/v1.22/docs/reference/config/analysis for more information about causes and resolutions.\n';

// A pod as the webhook injects it (istio-init, the status and revision annotations) with a user's traffic annotation, and one injected for istio-cni.
const injected = (name: string, annotations: Record<string, string>, initContainers: { name: string }[]) => ({
  metadata: { name, namespace: 'default', annotations },
  spec: { initContainers, containers: [{ name: 'app' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.0' }] },
});

describe('the Kubernetes version, read as k8sversion reads it', () => {
  it("Istio's k8sversion test data: plain, v-prefixed and GKE versions give their minor; malformed ones are an error", () => {
    expect(kubernetesMinor('1.17')).toBe(17);
    expect(kubernetesMinor('1.8')).toBe(8);
    expect(kubernetesMinor('v1.17.7-gke.10')).toBe(17);
    expect(kubernetesMinor('v1.8.7-gke.8')).toBe(8);
    expect(() => kubernetesMinor('v1.invalid.7')).toThrow('could not parse Malformed version: v1.invalid.7');
    expect(() => kubernetesMinor('one.seven')).toThrow('could not parse Malformed version: one.seven');
    expect(MIN_K8S_MINOR).toBe(26);
  });
});

describe('istioctl x precheck: the control plane', () => {
  it('an admin on a supported cluster: only the alpha annotations, as Info, and no failure', async () => {
    const reviews: unknown[] = [];
    const pods = [
      injected('sleep-1', { 'istio.io/rev': 'default', 'sidecar.istio.io/status': '{}', 'kubectl.kubernetes.io/default-container': 'app', 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432', 'proxy.istio.io/config': '{}' }, [{ name: 'istio-init' }]),
      injected('cni-1', { 'istio.io/rev': 'default', 'sidecar.istio.io/interceptionMode': 'REDIRECT', 'traffic.sidecar.istio.io/includeInboundPorts': '*' }, []),
    ];
    const namespaces = [{ metadata: { name: 'shop', annotations: { 'topology.istio.io/controlPlaneClusters': '*' } } }];
    const r = await run(['x', 'precheck'], cluster({ reviews, objects: { '/api/v1/pods': pods, '/api/v1/namespaces': namespaces } }));
    expect(r.stdout).toBe(
      [
        'Info [IST0136] (Namespace shop) Annotation "topology.istio.io/controlPlaneClusters" is part of an alpha-phase feature and may be incompletely supported.',
        'Info [IST0136] (Pod cni-1.default) Annotation "istio.io/rev" is part of an alpha-phase feature and may be incompletely supported.',
        'Info [IST0136] (Pod sleep-1.default) Annotation "istio.io/rev" is part of an alpha-phase feature and may be incompletely supported.',
        'Info [IST0136] (Pod sleep-1.default) Annotation "traffic.sidecar.istio.io/excludeOutboundPorts" is part of an alpha-phase feature and may be incompletely supported.',
        '',
      ].join('\n'),
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    // Eleven reviews, each a create; the cluster-wide kinds but Namespace and the webhooks asked in the Istio namespace, as 1.22 asks.
    expect(reviews).toHaveLength(11);
    expect(reviews[0]).toEqual({ kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: { resourceAttributes: { verb: 'create', version: 'v1', resource: 'Namespace' } } });
    expect(reviews[1]).toMatchObject({ spec: { resourceAttributes: { namespace: 'istio-system', group: 'rbac.authorization.k8s.io', resource: 'ClusterRole' } } });
    expect(reviews[10]).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { verb: 'create', group: 'admissionregistration.k8s.io', version: 'v1', resource: 'ValidatingWebhookConfiguration' } },
    });
    // -n limits the analyzer to that namespace (and cluster-scoped objects).
    const scoped = await run(['x', 'precheck', '-n', 'other'], cluster({ objects: { '/api/v1/pods': pods, '/api/v1/namespaces': namespaces } }));
    expect(scoped.stdout).toBe('Info [IST0136] (Namespace shop) Annotation "topology.istio.io/controlPlaneClusters" is part of an alpha-phase feature and may be incompletely supported.\n');
  });

  it('a read-only token on an old cluster: IST0142 and an IST0141 per resource with the reason, and the failure', async () => {
    const reviews: unknown[] = [];
    const r = await run(['x', 'precheck', '-i', 'mesh'], cluster({ gitVersion: 'v1.25.3', review: { allowed: false, reason: "the lab's service-account tokens may read, not change" }, reviews }));
    const why = "(the lab's service-account tokens may read, not change)";
    const denied = ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'CustomResourceDefinition', 'Deployments', 'MutatingWebhookConfiguration', 'Namespace', 'Role', 'Service', 'ServiceAccount', 'ValidatingWebhookConfiguration'];
    expect(r.stdout).toBe(
      [
        ...denied.map((name) => `Error [IST0141] (Cluster) Missing required permission to create resource ${name} ${why}`),
        'Error [IST0142] (Cluster) The Kubernetes Version "v1.25.3" is lower than the minimum version: 1.26',
        '',
      ].join('\n'),
    );
    expect([r.code, r.stderr]).toEqual([1, FAILED]);
    expect(reviews[4]).toMatchObject({ spec: { resourceAttributes: { namespace: 'mesh', resource: 'Role' } } });
    // No reason given: istioctl says "permission denied".
    const bare = await run(['x', 'precheck'], cluster({ review: { allowed: false } }));
    expect(bare.stdout.split('\n')[0]).toBe('Error [IST0141] (Cluster) Missing required permission to create resource ClusterRole (permission denied)');
  });

  it('Gateway API CRDs that serve no v1 are IST0156; other CRDs and served v1 pass', async () => {
    const crd = (name: string, kind: string, versions: [string, boolean][], group = 'gateway.networking.k8s.io') => ({
      metadata: { name },
      spec: { group, names: { kind }, versions: versions.map(([n, served]) => ({ name: n, served })) },
    });
    const crds = [
      crd('httproutes.gateway.networking.k8s.io', 'HTTPRoute', [['v1beta1', true], ['v1alpha2', true], ['v1', false]]),
      crd('gateways.gateway.networking.k8s.io', 'Gateway', [['v1', true], ['v1beta1', true]]),
      crd('tcproutes.gateway.networking.k8s.io', 'TCPRoute', [['v1alpha2', true]]),
      crd('sidecars.networking.istio.io', 'Sidecar', [['v1alpha3', true]], 'networking.istio.io'),
      crd('referencegrants.gateway.networking.k8s.io', 'ReferenceGrant', []),
    ];
    const r = await run(['x', 'precheck'], cluster({ crds }));
    expect(r.stdout).toBe(
      'Error [IST0156] (CustomResourceDefinition httproutes.gateway.networking.k8s.io) The Gateway API CRD version v1alpha2,v1beta1 is lower than the minimum version: v1\n' +
        'Error [IST0156] (CustomResourceDefinition referencegrants.gateway.networking.k8s.io) The Gateway API CRD version none is lower than the minimum version: v1\n',
    );
    expect(r.code).toBe(1);
  });

  it('an unparsable server version stops precheck with istioctl\'s error; --skip-controlplane does not ask', async () => {
    const r = await run(['x', 'precheck'], cluster({ gitVersion: 'v1.invalid.7' }));
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', 'Error: could not parse Malformed version: v1.invalid.7\n']);
    const skipped = await run(['x', 'precheck', '--skip-controlplane'], cluster({ gitVersion: 'v1.invalid.7' }));
    expect(skipped.code).toBe(0);
  });
});

// x precheck's data-plane check: ss output, inbound clusters and proxy versions read as istioctl/pkg/precheck reads them; IST0143 as Istio prints it.
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../../src-main/istioctl/cluster';
import { istioctlMain } from '../../../src-main/istioctl/main';
import { fromLegacyNetworkingVersion, getColumn, inboundPorts, localhostPorts, markBindings } from '../../../src-main/istioctl/precheck/listeners';

const CLUSTER = 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster';
const clustersDump = (names: string[]) => ({
  configs: names.map((name) => ({ '@type': CLUSTER, cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name } })),
});

// `ss -ltnH` in a pod whose app listens on 127.0.0.1:443 and 127.0.0.1:7070, on every address for 8080, and Envoy's own ports.
const SS = [
  'LISTEN 0      4096         0.0.0.0:15090      0.0.0.0:*          ',
  'LISTEN 0      4096       127.0.0.1:15000      0.0.0.0:*          ',
  'LISTEN 0      511        127.0.0.1:443        0.0.0.0:*          ',
  'LISTEN 0      511        127.0.0.1:7070       0.0.0.0:*          ',
  'LISTEN 0      511                *:8080             *:*          ',
  'LISTEN 0      4096         0.0.0.0:15006      0.0.0.0:*          ',
  '',
].join('\n');

const proxyPod = (name: string, image: string) => ({
  metadata: { name, namespace: 'default', labels: { 'security.istio.io/tlsMode': 'istio' } },
  spec: { containers: [{ name: 'app', image: 'echo' }, { name: 'istio-proxy', image }] },
  status: { phase: 'Running' },
});

describe('what precheck reads', () => {
  it("getColumn counts runs of spaces; the 4th column of ss is the local address", () => {
    expect(getColumn(SS.split('\n')[2], 3)).toBe('127.0.0.1:443');
    expect(getColumn(SS.split('\n')[4], 3)).toBe('*:8080');
    expect(getColumn('a  b', 5)).toBe('');
  });

  it('inbound ports are those of inbound|PORT|| clusters; outbound ones and plain names are not', () => {
    const ports = inboundPorts(clustersDump(['inbound|443||', 'inbound|7070||', 'inbound|8080||', 'outbound|80||web.default.svc.cluster.local', 'BlackHoleCluster']));
    expect([...ports.keys()]).toEqual([443, 7070, 8080]);
  });

  it('loopback (v4, v6, v4-mapped), wildcard and explicit binds; only loopback ones are IST0143', () => {
    const ports = inboundPorts(clustersDump(['inbound|443||', 'inbound|7070||', 'inbound|8080||', 'inbound|9000||', 'inbound|9001||', 'inbound|9002||']));
    const more = 'LISTEN 0 511 [::1]:9000 [::]:*\nLISTEN 0 511 [::ffff:127.0.0.1]:9001 [::]:*\nLISTEN 0 511 10.1.2.3:9002 0.0.0.0:*\nLISTEN 0 511 [::]:8080 [::]:*\n';
    expect(markBindings(ports, SS + more)).toEqual([]);
    expect(localhostPorts(ports)).toEqual([443, 7070, 9000, 9001]);
    expect(ports.get(8080)).toEqual({ lo: false, wildcard: true, explicit: false });
    expect(ports.get(9002)).toEqual({ lo: false, wildcard: false, explicit: true });
    expect(markBindings(ports, 'LISTEN 0 1 nonsense x\n')).toEqual(['address nonsense: missing port in address']);
  });

  it('only proxies older than 1.10, or whose tag is no version, are checked', () => {
    expect(fromLegacyNetworkingVersion(proxyPod('a', 'docker.io/istio/proxyv2:1.9.5'))).toBe(true);
    expect(fromLegacyNetworkingVersion(proxyPod('a', 'docker.io/istio/proxyv2:1.22.0'))).toBe(false);
    expect(fromLegacyNetworkingVersion(proxyPod('a', 'docker.io/istio/proxyv2:1.10.0-distroless'))).toBe(false);
    expect(fromLegacyNetworkingVersion(proxyPod('a', 'docker.io/istio/proxyv2:release-1.8-20210301'))).toBe(true);
    expect(fromLegacyNetworkingVersion(proxyPod('a', 'docker.io/istio/proxyv2:latest'))).toBe(true);
    // strings.Cut at the first colon: a registry port leaves no version to read.
    expect(fromLegacyNetworkingVersion(proxyPod('a', 'localhost:5000/proxyv2:1.22.0'))).toBe(true);
    expect(fromLegacyNetworkingVersion({ spec: { containers: [{ name: 'app', image: 'x:1.0' }] } })).toBe(false);
  });
});

interface Fake {
  gitVersion?: string;
  crds?: unknown[];
  /** The SelfSubjectAccessReview's status for every review; reviews asked are pushed on `reviews`. */
  review?: { allowed: boolean; reason?: string };
  reviews?: unknown[];
}

function cluster(pods: unknown[], ss: Record<string, string>, paths: string[] = [], fake: Fake = {}): Cluster {
  const get = <T>(path: string): Promise<T> => {
    paths.push(path);
    if (path === '/version') return Promise.resolve({ gitVersion: fake.gitVersion ?? 'v1.32.5' } as T);
    if (path === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions') return Promise.resolve({ items: fake.crds ?? [] } as T);
    if (path.startsWith('/api/v1/pods') || path.includes('/pods?')) return Promise.resolve({ items: pods } as T);
    return Promise.resolve({ items: [] } as T);
  };
  return {
    namespace: 'default',
    api: {
      get,
      getOptional: get,
      create: <T>(path: string, body: unknown) => {
        expect(path).toBe('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
        fake.reviews?.push(body);
        return Promise.resolve({ ...(body as object), status: fake.review ?? { allowed: true } } as T);
      },
    },
    admin: { request: () => Promise.resolve(JSON.stringify(clustersDump(['inbound|443||', 'inbound|7070||', 'inbound|8080||']))) },
    exec: (pod, container, command) => {
      expect([container, command]).toEqual(['istio-proxy', 'ss -ltnH']);
      const out = ss[pod.name];
      return out === undefined ? Promise.reject(new Error('boom')) : Promise.resolve({ stdout: out, stderr: '' });
    },
  };
}

async function run(args: string[], c: Cluster) {
  let stdout = '';
  let stderr = '';
  const code = await istioctlMain(args, { out: (t) => (stdout += t), err: (t) => (stderr += t) }, () => Promise.resolve(c));
  return { code, stdout, stderr };
}

describe('istioctl x precheck', () => {
  it("prints IST0143 per localhost port as Istio's upgrade blog shows it, and fails", async () => {
    const paths: string[] = [];
    const r = await run(['x', 'precheck', '--skip-controlplane'], cluster([proxyPod('echo-local-849647c5bd-g9wxf', 'docker.io/istio/proxyv2:latest')], { 'echo-local-849647c5bd-g9wxf': SS }, paths));
    expect(r.stdout).toBe(
      'Error [IST0143] (Pod echo-local-849647c5bd-g9wxf.default) Port 443 is exposed in a Service but listens on localhost. It will not be exposed to other pods.\n' +
        'Error [IST0143] (Pod echo-local-849647c5bd-g9wxf.default) Port 7070 is exposed in a Service but listens on localhost. It will not be exposed to other pods.\n',
    );
    expect(r.stderr).toBe(
      'Error: Issues found when checking the cluster. Istio may not be safe to install or upgrade.\nSee https://istio.io/v1.22/docs/reference/config/analysis for more information about causes and resolutions.\n',
    );
    expect(r.code).toBe(1);
    // Running injected pods of every namespace unless -n names one.
    expect(paths).toEqual(['/api/v1/pods?fieldSelector=status.phase%3DRunning&labelSelector=security.istio.io%2FtlsMode%3Distio']);
  });

  it('a pod on a 1.10+ proxy is skipped; nothing found is the success line on stderr', async () => {
    const r = await run(['x', 'precheck', '--skip-controlplane', '-n', 'default'], cluster([proxyPod('new', 'docker.io/istio/proxyv2:1.22.0')], { new: SS }));
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toBe('\u2714 No issues found when checking the cluster. Istio is safe to install or upgrade!\n  To get started, check out https://istio.io/latest/docs/setup/getting-started/\n');
  });

  it('a failed exec is printed as istioctl prints it and the pod skipped; the control-plane checks run unless skipped', async () => {
    const paths: string[] = [];
    const r = await run(['x', 'precheck'], cluster([proxyPod('gone', 'proxyv2:latest')], {}, paths));
    expect(r.stdout).toBe('failed to get listener state:  boom\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('\u2714 No issues found when checking the cluster. Istio is safe to install or upgrade!\n  To get started, check out https://istio.io/latest/docs/setup/getting-started/\n');
    expect(paths.slice(0, 2)).toEqual(['/version', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions']);
  });
});

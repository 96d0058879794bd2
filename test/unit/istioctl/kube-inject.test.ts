// istioctl kube-inject through the CLI's main: Istio's own golden files byte for byte, a Pod and traffic annotations field by field.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { main } from '../../../src-main/cli/main';

const FIX = path.resolve(import.meta.dirname, '../../fixtures');
/** Istio's pkg/kube/inject/testdata/inject (see the READMEs of both fixture folders). */
const ISTIO = (name: string) => path.join(FIX, 'injection', name);
const OURS = (name: string) => path.join(FIX, 'istioctl/kube-inject', name);
const read = (p: string) => readFileSync(p, 'utf8');

/** Istio's inject tests render with hub gcr.io/istio-testing and tag latest, and Istio's default mesh config. */
const TEST_VALUES = OURS('istio-test-values.json');
const MESH = OURS('mesh-default.yaml');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), verbose: false };
  const code = await main(['istioctl', 'kube-inject', ...args], io);
  return { code, out, err };
}

const inject = (file: string, ...extra: string[]) =>
  cli(['-f', file, '--valuesFile', TEST_VALUES, '--meshConfigFile', MESH, ...extra]);

interface Container {
  name: string;
  args?: string[];
  ports?: unknown;
  env?: { name: string; value?: string }[];
  readinessProbe?: unknown;
  startupProbe?: unknown;
  livenessProbe?: unknown;
  securityContext?: unknown;
  resources?: unknown;
}
interface PodLike {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[]; volumes?: { name: string }[] };
}

const docs = (text: string) =>
  parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
const templateOf = (doc: Record<string, unknown>) => (doc.spec as { template: PodLike }).template;
const byName = (p: PodLike) =>
  new Map([...(p.spec.initContainers ?? []), ...p.spec.containers].map((c) => [c.name, c]));

/** What kube-inject must agree on with Istio, container by container. */
function view(c: Container) {
  return {
    args: c.args,
    ports: c.ports,
    env: (c.env ?? []).map((e) => e.name),
    readinessProbe: c.readinessProbe,
    startupProbe: c.startupProbe,
    livenessProbe: c.livenessProbe,
    securityContext: c.securityContext,
    resources: c.resources,
  };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("kube-inject against Istio's golden files, byte for byte", () => {
  it('a Deployment without annotations, istio-proxy among the containers (hello-old-version)', async () => {
    const r = await inject(ISTIO('hello.yaml'));
    expect(r.code).toBe(0);
    expect(r.out).toBe(read(ISTIO('hello-old-version.yaml.injected')));
    expect(r.err).toBe('');
  });

  it('the same Deployment with ENABLE_NATIVE_SIDECARS=true (hello.yaml.injected)', async () => {
    vi.stubEnv('ENABLE_NATIVE_SIDECARS', 'true');
    const r = await inject(ISTIO('hello.yaml'));
    expect(r.out).toBe(read(ISTIO('hello.yaml.injected')));
  });

  it('a Deployment with traffic annotations and proxy.istio.io/config (traffic-annotations)', async () => {
    vi.stubEnv('ENABLE_NATIVE_SIDECARS', 'true');
    const r = await inject(OURS('traffic-annotations.yaml'));
    expect(r.out).toBe(read(OURS('traffic-annotations.yaml.injected')));
  });

  it('interceptionMode NONE with an existing init container', async () => {
    vi.stubEnv('ENABLE_NATIVE_SIDECARS', 'true');
    const r = await inject(ISTIO('init-no-intercept-no-native-sidecar.yaml'));
    expect(r.out).toBe(read(ISTIO('init-no-intercept-no-native-sidecar.yaml.injected')));
  });
});

describe("kube-inject against Istio's golden files, field by field", () => {
  it('traffic annotations without native sidecars: the same containers, istio-proxy after the app', async () => {
    const got = templateOf(docs((await inject(OURS('traffic-annotations.yaml'))).out)[0]);
    const want = templateOf(docs(read(OURS('traffic-annotations.yaml.injected')))[0]);
    expect(got.spec.containers.map((c) => c.name)).toEqual(['traffic', 'istio-proxy']);
    expect(got.spec.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
    const g = byName(got);
    for (const [name, c] of byName(want)) expect(view(g.get(name)!), name).toEqual(view(c));
    expect(g.get('istio-init')!.args).toEqual([
      ...['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT'],
      ...['-i', '127.0.0.1/24,10.96.0.1/24', '-x', '10.96.0.2/24,10.96.0.3/24', '-b', '1,2,3'],
      ...['-d', '15090,15021,4,5,6,15020', '-o', '7,8,9', '--log_output_level=default:info'],
    ]);
    expect(got.spec.volumes).toEqual(want.spec.volumes);
  });

  it("a Pod (Istio's pod.yaml): the template's containers of hello, its own workload, Pod fields at the top", async () => {
    const r = await inject(OURS('pod.yaml'));
    const [pod] = docs(r.out) as unknown as (PodLike & { status: unknown; kind: string })[];
    const want = templateOf(docs(read(ISTIO('hello-old-version.yaml.injected')))[0]);
    expect(pod.kind).toBe('Pod');
    expect(pod.status).toEqual({});
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['hello', 'istio-proxy']);
    const g = byName(pod);
    for (const [name, c] of byName(want)) expect(view(g.get(name)!), name).toEqual(view(c));
    const env = Object.fromEntries((g.get('istio-proxy')!.env ?? []).map((e) => [e.name, e.value]));
    expect(env.ISTIO_META_WORKLOAD_NAME).toBe('hellopod');
    expect(env.ISTIO_META_OWNER).toBe('kubernetes://apis/v1/namespaces/default/pods/hellopod');
    expect(pod.metadata.labels?.['service.istio.io/canonical-name']).toBe('hellopod');
    expect(pod.metadata.annotations?.['sidecar.istio.io/status']).toBe(
      want.metadata.annotations?.['sidecar.istio.io/status'],
    );
    expect(r.out).not.toContain('strategy');
    expect(r.out.endsWith('status: {}\n---\n')).toBe(true);
  });

  it('a Pod with the traffic annotations gets the same istio-init arguments as the Deployment', async () => {
    const withAnnotations = read(OURS('pod.yaml')).replace(
      '  name: hellopod\n',
      '  name: hellopod\n  annotations:\n' +
        '    traffic.sidecar.istio.io/includeInboundPorts: "1,2,3"\n' +
        '    traffic.sidecar.istio.io/excludeInboundPorts: "4,5,6"\n' +
        '    traffic.sidecar.istio.io/excludeOutboundPorts: "7,8,9"\n' +
        '    traffic.sidecar.istio.io/includeOutboundIPRanges: "127.0.0.1/24,10.96.0.1/24"\n' +
        '    traffic.sidecar.istio.io/excludeOutboundIPRanges: "10.96.0.2/24,10.96.0.3/24"\n',
    );
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kube-inject-')), 'pod.yaml');
    writeFileSync(file, withAnnotations);
    const [pod] = docs((await inject(file)).out) as unknown as PodLike[];
    const want = templateOf(docs(read(OURS('traffic-annotations.yaml.injected')))[0]);
    expect(byName(pod).get('istio-init')!.args).toEqual(byName(want).get('istio-init')!.args);
  });
});

// `sidecar-lab export`: a lab changed with Debian's kubectl, written out, and run again from the file, as another engineer would; the file is what kubectl takes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cliOk, repoRoot, runCli } from './helpers/cli';
import { kubectlWith } from '../helpers/kubectl';
import { KubeClient } from '../../src-main/istioctl/kube/client';
import { envoyDo } from '../../src-main/istioctl/kube/envoy-admin';
import { kubeTargetFrom } from '../../src-main/istioctl/kube/kubeconfig';
import { apiPaths } from '../../src-main/lab/api/host-state';
import { labProxyPod } from '../../src-main/lab/dump/lab-config-dump';

let env: NodeJS.ProcessEnv;
const k = kubectlWith(() => env);
const dir = mkdtempSync(join(tmpdir(), 'sidecar-lab-export-'));
const file = join(dir, 'repro.yaml');

async function pointKubectl(): Promise<void> {
  const printed = (await cliOk(['kubeconfig'])).stdout.trim();
  env = { ...process.env, KUBECONFIG: printed.replace('export KUBECONFIG=', '') };
}

const serviceEntry = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: payments, namespace: default }
spec:
  hosts: [payments.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{ number: 443, name: tls, protocol: TLS }]
`;

const web = `apiVersion: v1
kind: Pod
metadata: { name: web, namespace: default, labels: { app: web } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: web, image: sidecar-lab/demo, args: [httpbin, --port, "8080"], ports: [{ containerPort: 8080 }] }
`;

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', 'interception']);
  await pointKubectl();
}, 600_000);

afterAll(async () => {
  await runCli(['down', '--all']);
});

// The lab's own sleep proxy in this scenario, as its golden file has it: what a customer would send from a cluster running it.
const SLEEP_DUMP = readFileSync(resolve(repoRoot, 'test/fixtures/sidecar/interception-sleep-config-dump.json'), 'utf8');
const SYMPTOMS = ['kubectl exec deploy/sleep -- curl -sS -m 5 http://httpbin/status/418', 'sidecar-lab logs web -c istio-proxy'];

function dumpFolder(text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'sidecar-lab-config-dump-'));
  writeFileSync(join(d, 'config_dump.json'), text);
  return d;
}

describe('sidecar-lab diff against the running lab', () => {
  it("compares a customer's config_dump with the lab's proxy, listener by listener and cluster by cluster", async () => {
    const same = await runCli(['diff', dumpFolder(SLEEP_DUMP)]);
    expect(same.stderr).toMatch(/diff: the lab's proxy \(default\/sleep-[a-z0-9]+-[a-z0-9]+\)'s listeners, clusters, routes and endpoints against /);
    expect(same.stdout).toMatch(/^No differences in listeners, clusters and routes between /);
    expect(same.code).toBe(0);
    // The customer's proxy lacks the kube-dns listener and sees httpbin's cluster as STRICT_DNS.
    const customer = JSON.parse(SLEEP_DUMP) as { configs: { dynamic_listeners?: { name: string }[]; dynamic_active_clusters?: { cluster: { name: string; type: string } }[] }[] };
    for (const c of customer.configs) {
      if (c.dynamic_listeners) c.dynamic_listeners = c.dynamic_listeners.filter((l) => l.name !== '10.96.0.10_53');
      for (const cl of c.dynamic_active_clusters ?? []) if (cl.cluster.name.includes('httpbin')) cl.cluster.type = 'STRICT_DNS';
    }
    const differs = await runCli(['diff', dumpFolder(JSON.stringify(customer))]);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toMatch(/^\+ listener <kube-dns\.kube-system\.svc\.cluster\.local>_53 \(TCP, 1 filter chain\) only in the lab's proxy/m);
    expect(differs.stdout).toMatch(/^~ cluster outbound\|80\|\|httpbin\.default\.svc\.cluster\.local: type STRICT_DNS in .*, EDS in the lab's proxy/m);
  });
});

describe('sidecar-lab diff of routes and endpoints against the running lab', () => {
  type Live = { configs: { '@type': string; dynamic_route_configs?: { route_config: { name: string; virtual_hosts: { routes: { route?: { cluster?: string } }[] }[] } }[]; dynamic_endpoint_configs?: { endpoint_config: { cluster_name: string; endpoints: { lb_endpoints: unknown[] }[] } }[] }[] };

  it("finds the live proxy's dump (taken with include_eds) the same as itself, and names a changed route and a missing endpoint", async () => {
    // What a customer sends from a cluster running this lab: /config_dump?include_eds of the sleep proxy.
    const pod = await labProxyPod('interception', 'sleep', { namespace: 'default', name: '', workload: '' });
    const kubeconfig = apiPaths('interception').kubeconfig;
    const live = await envoyDo(new KubeClient(kubeTargetFrom(readFileSync(kubeconfig, 'utf8'), kubeconfig)), pod, 'GET', 'config_dump?include_eds=true');
    const same = await runCli(['diff', dumpFolder(live)]);
    expect(same.stdout).toMatch(/^No differences in listeners, clusters, routes and endpoints between /);
    expect(same.code).toBe(0);
    const customer = JSON.parse(live) as Live;
    const routes = customer.configs.flatMap((c) => c.dynamic_route_configs ?? []);
    const rc = routes.find((r) => r.route_config.virtual_hosts.some((vh) => vh.routes.some((x) => x.route?.cluster?.includes('httpbin'))));
    const route = rc?.route_config.virtual_hosts.flatMap((vh) => vh.routes).find((x) => x.route?.cluster?.includes('httpbin'));
    if (!rc || !route?.route) throw new Error('no route to httpbin in the live dump');
    route.route.cluster = 'outbound|80||httpbin-v2.default.svc.cluster.local';
    const eds = customer.configs.flatMap((c) => c.dynamic_endpoint_configs ?? []).find((e) => e.endpoint_config.cluster_name.includes('httpbin'));
    if (!eds) throw new Error('no httpbin endpoints in the live dump');
    eds.endpoint_config.endpoints = [];
    const differs = await runCli(['diff', dumpFolder(JSON.stringify(customer))]);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toMatch(new RegExp(`^~ route config ${rc.route_config.name}: virtual host \\S+: route \\S+ goes to cluster outbound\\|80\\|\\|httpbin-v2\\.default\\.svc\\.cluster\\.local in .*, to cluster outbound\\|\\d+\\|\\|httpbin\\.default\\.svc\\.cluster\\.local in the lab's proxy`, 'm'));
    expect(differs.stdout).toMatch(/^\+ endpoint <an endpoint of httpbin\.default\.svc\.cluster\.local>:\d+ of cluster outbound\|\d+\|\|httpbin\.default\.svc\.cluster\.local \([A-Z, ]+\) only in the lab's proxy/m);
  });
});

describe('sidecar-lab export', () => {
  let docs: Record<string, unknown>[] = [];
  const find = (kind: string, name: string): Record<string, unknown> | undefined =>
    docs.find((d) => d.kind === kind && (d.metadata as { name?: string }).name === name);

  it('writes the objects as their authors wrote them, with what kubectl changed, and leaves out what the cluster makes', async () => {
    await k.ok(['label', 'namespace', 'external', 'team=payments']);
    await k.ok(['apply', '-f', '-'], serviceEntry);
    await k.ok(['apply', '-f', '-'], web);
    await k.ok(['wait', '--for=condition=Ready', 'pod/web', '--timeout=90s']);
    const run = await cliOk(['export', file, ...SYMPTOMS.flatMap((c) => ['--symptom', c])]);
    expect(run.stderr).toContain(`export: wrote ${file}`);
    expect(run.stderr).toMatch(/left out ReplicaSet|left out Pod default\/sleep-\S+: made by ReplicaSet/);
    docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON() as Record<string, unknown>);

    expect(docs[0]).toMatchObject({ apiVersion: 'sidecarlab.dev/v1', kind: 'Lab', metadata: { name: 'interception' }, spec: { symptoms: SYMPTOMS } });
    expect(find('Namespace', 'external')).toMatchObject({ metadata: { labels: { team: 'payments' } } });
    expect(find('ServiceEntry', 'payments')).toMatchObject({ spec: { hosts: ['payments.example.com'] } });
    // The pod as applied: Istio's injection and the lab's debug container are the cluster's doing, not the author's.
    const pod = find('Pod', 'web') as { spec: { containers: { name: string }[]; ephemeralContainers?: unknown; nodeName?: string } };
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['web']);
    expect(pod.spec.ephemeralContainers).toBeUndefined();
    const sleep = find('Deployment', 'sleep') as { metadata: Record<string, unknown>; status?: unknown };
    expect(sleep).toBeDefined();
    expect(sleep.status).toBeUndefined();
    expect(sleep.metadata.uid).toBeUndefined();
    expect(sleep.metadata.resourceVersion).toBeUndefined();
    expect(docs.filter((d) => ['ReplicaSet', 'Endpoints', 'EndpointSlice', 'Event', 'Node'].includes(String(d.kind)))).toEqual([]);
    expect(docs.some((d) => d.kind === 'Pod' && String((d.metadata as { name: string }).name).startsWith('sleep-'))).toBe(false);
    expect(find('Service', 'kubernetes')).toBeUndefined();
    expect((find('Service', 'httpbin') as { spec: Record<string, unknown> }).spec.clusterIP).toBeUndefined();
  });

  it('is taken by kubectl as it is, the Lab document aside', async () => {
    const rest = join(dir, 'objects.yaml');
    writeFileSync(rest, readFileSync(file, 'utf8').split(/^---$/m).slice(1).join('---'));
    const names = await k.ok(['create', '--dry-run=client', '-o', 'name', '-f', rest]);
    expect(names).toContain('namespace/external');
    expect(names).toContain('deployment.apps/sleep');
    expect(names).toContain('pod/web');
    expect(names).toContain('serviceentry.networking.istio.io/payments');
  });

  it('runs again with `up FILE`: the same workloads, the label, the ServiceEntry and the applied pod', async () => {
    await cliOk(['down', '--all']);
    const up = await cliOk(['up', file]);
    // Printed last, for the engineer who runs the file: the commands that show the symptom.
    expect(up.stdout.trimEnd().split('\n').slice(-3)).toEqual([
      "The commands that show the symptom (the Lab document's spec.symptoms):",
      ...SYMPTOMS.map((c) => `  ${c}`),
    ]);
    await pointKubectl();
    expect(await k.ok(['get', 'namespace', 'external', '-o', 'jsonpath={.metadata.labels.team}'])).toBe('payments');
    expect(await k.ok(['get', 'serviceentry', 'payments', '-o', 'jsonpath={.spec.hosts[0]}'])).toBe('payments.example.com');
    expect(await k.ok(['get', 'deploy', '-A', '-o', 'jsonpath={.items[*].metadata.name}'])).toMatch(/sleep/);
    await k.ok(['wait', '--for=condition=Ready', 'pod/web', '--timeout=90s']);
    // The pod was injected in the exported lab; run again from its author's text, it is injected again.
    expect(await k.ok(['get', 'pod', 'web', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('web istio-proxy');
  });
});

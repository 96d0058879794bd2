// The built-in `interception` scenario on a real engine: pods, rules, redirection, the node, and `down`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { injectorArgs } from '../../src-main/lab/injection';
import type { LabStatus, PodStatus } from '../../src-main/lab/runtime/status';
import { diffRuleSets, dryRun, formatDiff, parseArgs, splitDryRun } from '../../src-pod/istio-iptables';
import { cliOk, repoRoot, runCli } from './helpers/cli';
import { docker, dockerExec, labResources } from './helpers/docker';

let status: LabStatus;
let upOutput: string;

const pod = (prefix: string, ns = 'default'): PodStatus => {
  const found = status.pods.find((p) => p.namespace === ns && (p.name === prefix || p.name.startsWith(`${prefix}-`)));
  if (!found) throw new Error(`no pod ${ns}/${prefix} in ${status.pods.map((p) => p.name).join(', ')}`);
  return found;
};

const external = (): string => status.services.find((s) => s.name === 'external')?.clusterIP ?? 'missing';

beforeAll(async () => {
  await runCli(['down', '--all']);
  const up = await cliOk(['up', 'interception']);
  upOutput = up.stdout + up.stderr;
  status = JSON.parse((await cliOk(['status', '--json'])).stdout) as LabStatus;
});

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('sidecar-lab up interception', () => {
  it('reports every pod ready', () => {
    expect(upOutput).toMatch(/lab interception is up in [\d.]+ s/);
    expect(status.ready).toBe(true);
  });

  it('status --json lists each pod with its containers, IP and state', () => {
    const names = status.pods.map((p) => `${p.namespace}/${p.name.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '')}`);
    expect(names).toEqual(expect.arrayContaining(['default/sleep', 'default/httpbin', 'external/external']));
    for (const p of status.pods) {
      expect(p.ip).toMatch(/^10\.244\.\d+\.\d+$/);
      expect(p.ready).toBe(true);
    }
    const sleep = pod('sleep');
    expect(sleep.sidecar).toBe(true);
    // In the pod spec's order, as the API lists them (kubectl's `sleep istio-proxy`), the sandbox first.
    expect(sleep.containers.map((c) => [c.name, c.state, c.exitCode])).toEqual([
      ['pause', 'running', undefined],
      ['istio-init', 'exited', 0],
      ['sleep', 'running', undefined],
      ['istio-proxy', 'running', undefined],
      ['tap', 'running', undefined],
    ]);
    const external = pod('external', 'external');
    expect(external.sidecar).toBe(false);
    expect(external.containers.map((c) => c.name)).toEqual(['pause', 'httpbin']);
    expect(new Set(status.pods.map((p) => p.ip)).size).toBe(status.pods.length);
  });

  it('names containers <lab>-<namespace>-<pod>-<container>', async () => {
    const sleep = pod('sleep');
    const info = await docker.getContainer(`interception-default-${sleep.name}-istio-proxy`).inspect();
    expect(info.Config.User).toBe('1337:1337');
  });

  it('resolves svc, svc.ns and svc.ns.svc.cluster.local in every pod', async () => {
    const httpbin = status.services.find((s) => s.name === 'httpbin' && s.namespace === 'default');
    expect(httpbin?.clusterIP).toMatch(/^10\.(9[6-9]|1[01]\d)\./);
    for (const [p, ns] of [['sleep', 'default'], ['external', 'external']] as const) {
      for (const name of ['httpbin', 'httpbin.default', 'httpbin.default.svc.cluster.local']) {
        if (ns === 'external' && name === 'httpbin') continue; // not in external's search list
        const r = await cliOk(['exec', p, '-n', ns, '--', 'getent', 'hosts', name]);
        expect(r.stdout.split(/\s+/)[0]).toBe(httpbin?.clusterIP);
      }
    }
  });

  it("reaches httpbin through its ClusterIP via both sidecars, redirected to 127.0.0.1:15001", async () => {
    const r = await cliOk(['exec', 'sleep', '-c', 'sleep', '--', 'curl', '-sS', '-i', 'http://httpbin.default.svc.cluster.local/get']);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r.stdout).toMatch(/^server: envoy/m);
    const got = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { servedBy: string; headers: Record<string, string> };
    expect(got.servedBy).toBe(pod('httpbin').name);
    expect(got.headers['Host']).toBe('httpbin.default.svc.cluster.local');
    // The kernel's view of that connection: to the ClusterIP on 80, answered from 127.0.0.1:15001.
    const ct = await cliOk(['exec', 'sleep', '-c', 'tap', '--', 'conntrack', '-L', '-p', 'tcp', '--orig-port-dst', '80']);
    expect(ct.stdout).toMatch(/dst=10\.96\.\d+\.\d+ sport=\d+ dport=80 src=127\.0\.0\.1 dst=10\.244\.\d+\.\d+ sport=15001/);
  });

  it("has exactly the rules istio-iptables generates for the sleep pod's annotations, and nothing else", async () => {
    // Expected: straight from the manifest, through the injector and the generator.
    const manifest = readFileSync(resolve(repoRoot, 'resources/scenarios/interception.yaml'), 'utf8');
    const deployment = parseAllDocuments(manifest)
      .map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: { template: { metadata: { annotations?: Record<string, string> } } } })
      .find((d) => d.kind === 'Deployment' && d.metadata.name === 'sleep');
    const injected = injectorArgs({ annotations: deployment?.spec.template.metadata.annotations ?? {} });
    const expected = splitDryRun(dryRun(parseArgs(injected.args, injected.env).config)).v4;
    const live = (await cliOk(['exec', 'sleep', '-c', 'tap', '--', 'iptables-save'])).stdout;
    const diff = diffRuleSets(expected, live);
    expect(diff.equal, formatDiff(diff, ['istio-iptables dry run', 'iptables-save in the pod'])).toBe(true);
    expect(live).not.toContain('DOCKER');
    // And istio-init was run with exactly those arguments.
    const init = await docker.getContainer(`interception-default-${pod('sleep').name}-istio-init`).inspect();
    expect(init.Config.Cmd).toEqual(['istio-iptables', ...injected.args]);
  });

  it('does not redirect traffic from uid 1337', async () => {
    const sleep = pod('sleep');
    const asProxy = await cliOk(['exec', 'sleep', '-c', 'istio-proxy', '--', 'curl', '-sS', '-m', '5', 'http://external.external/ip']);
    expect(JSON.parse(asProxy.stdout)).toMatchObject({ origin: sleep.ip });
    const ct = await cliOk(['exec', 'sleep', '-c', 'tap', '--', 'conntrack', '-L', '-p', 'tcp', '--orig-port-dst', '80', '--orig-dst', external()]);
    // Straight to the Service (DNAT at the node), never to 15001.
    expect(ct.stdout).not.toContain('sport=15001');
  });

  it("serves the lab's Kubernetes API behind 10.96.0.1 to the pods' service-account tokens, read-only", async () => {
    const kubernetes = status.services.find((s) => s.name === 'kubernetes');
    expect(kubernetes?.clusterIP).toBe('10.96.0.1');
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const curl = `curl -sS -m 10 --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)"`;
    // From outside the mesh and from a meshed pod (through its sidecar), as kubelet-mounted clients do.
    for (const [name, ns, container] of [['external', 'external', 'httpbin'], ['sleep', 'default', 'sleep']]) {
      const list = await cliOk(['exec', name, '-n', ns, '-c', container, '--', 'sh', '-c', `${curl} https://kubernetes.default.svc/api/v1/namespaces/$(cat ${sa}/namespace)/pods`]);
      const pods = JSON.parse(list.stdout) as { kind: string; items: { metadata: { name: string } }[] };
      expect(pods.kind).toBe('PodList');
      expect(pods.items.map((p) => p.metadata.name)).toContain(pod(name, ns).name);
    }
    const write = await cliOk(['exec', 'external', '-n', 'external', '--', 'sh', '-c', `${curl} -o /dev/null -w '%{http_code}' -X DELETE https://kubernetes.default.svc/api/v1/namespaces/external/pods/${pod('external', 'external').name}`]);
    expect(write.stdout).toBe('403');
  });

  it('keeps the lab on an internal network with no way off the machine', async () => {
    const net = await docker.getNetwork('interception-net').inspect();
    expect(net.Internal).toBe(true);
    expect(net.IPAM?.Config?.[0]?.Subnet).toBe('10.0.0.0/8');
    const nodeRoutes = await dockerExec('interception-node', ['ip', 'route']);
    expect(nodeRoutes.out).not.toMatch(/^default/m);
    const podRoutes = await cliOk(['exec', 'sleep', '-c', 'tap', '--', 'ip', 'route']);
    expect(podRoutes.stdout).toMatch(/^default via 10\.244\.0\.1 dev eth0/m);
    const sleep = pod('sleep');
    expect(upOutput).toContain(sleep.ip);
  });

  it('down leaves no container, network or volume with the lab labels', async () => {
    expect((await labResources('interception')).length).toBeGreaterThan(0);
    await cliOk(['down']);
    expect(await labResources('interception')).toEqual([]);
  });
});

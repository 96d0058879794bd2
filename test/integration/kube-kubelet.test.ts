// Pods written with Debian's kubectl run on the lab as on a node: injected at creation as Istio's webhook decides, served by their Services, stopped with their grace period.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cliOk, repoRoot, runCli } from './helpers/cli';
import { docker, labResources } from './helpers/docker';
import { startCapture, type CaptureSession } from '../../src-main/lab/runtime/capture-session';
import type { Flow } from '../../src-main/lab/capture/flow-types';
import { kubectlWith } from '../helpers/kubectl';

let env: NodeJS.ProcessEnv;
let capture: CaptureSession | undefined;
const flows: { pod: string; flow: Flow }[] = [];
const k = kubectlWith(() => env);

const pod = (name: string, namespace: string, labels: Record<string, string>, grace = 1): string => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
  labels: ${JSON.stringify(labels)}
spec:
  terminationGracePeriodSeconds: ${grace}
  containers:
  - name: web
    image: sidecar-lab/demo
    args: [httpbin, --port, "8080"]
    ports: [{ name: http, containerPort: 8080 }]
`;

const service = (name: string, namespace: string): string => `
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: 80, targetPort: http }]
`;

/** Polls kubectl until its output matches (the kubelet works in the background, as a node's does). */
async function eventually(args: string[], pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await k.run(args);
    last = r.stdout + r.stderr;
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`kubectl ${args.join(' ')} never matched ${pattern}:\n${last}`);
}

const containerNames = async (): Promise<string[]> =>
  (await labResources('interception')).filter((r) => r.startsWith('container /')).map((r) => r.slice('container /'.length));

const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/integration', name);

const curlFromSleep = async (url: string): Promise<string> =>
  (await runCli(['exec', 'sleep', '--', 'curl', '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', url])).stdout.trim();

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', 'interception']);
  env = { ...process.env, KUBECONFIG: (await cliOk(['kubeconfig'])).stdout.trim().replace('export KUBECONFIG=', '') };
  capture = await startCapture(docker, 'interception', (pod, flow) => flows.push({ pod: `${pod.namespace}/${pod.pod}`, flow: structuredClone(flow) }));
}, 600_000);

afterAll(async () => {
  await capture?.stop();
  await runCli(['down', '--all']);
});

describe('a pod applied with kubectl', () => {
  it('runs with a sidecar in a namespace labelled for injection, and its Service answers through the mesh', async () => {
    expect(await k.ok(['apply', '-f', '-'], pod('web', 'default', { app: 'web' }) + '---\n' + service('web', 'default'))).toContain('pod/web created');
    await eventually(['get', 'pod', 'web'], /web\s+2\/2\s+Running/);
    expect(await k.ok(['get', 'pod', 'web', '-o', 'jsonpath={.spec.initContainers[*].name} {.spec.containers[*].name}'])).toBe('istio-init web istio-proxy');
    const ip = await k.ok(['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}']);
    expect(ip).toMatch(/^10\.244\.0\.\d+$/);
    await eventually(['get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[0].addresses[0].ip}'], new RegExp(`^${ip.replace(/\./g, '\\.')}$`));
    expect(await curlFromSleep('http://web.default/status/200')).toBe('200');
    // istio-init wrote Istio's rules into the new pod's own network namespace.
    const saved = (await cliOk(['exec', 'web', '-c', 'tap', '--', 'iptables-save', '-t', 'nat'])).stdout;
    expect(saved).toContain('-A ISTIO_OUTPUT');
    expect(saved).toContain('-A ISTIO_INBOUND');
  });

  it("shows the new pod's connections live: the capture follows pods the kubelet starts", async () => {
    // Started with the lab, before the pod existed.
    expect(capture!.pods.map((p) => `${p.namespace}/${p.pod}`)).not.toContain('default/web');
    await capture!.refresh();
    expect(capture!.pods.map((p) => `${p.namespace}/${p.pod}`)).toContain('default/web');
    await cliOk(['exec', 'web', '-c', 'web', '--', 'curl', '-s', '-o', '/dev/null', 'http://httpbin.default/status/200']);
    const deadline = Date.now() + 10_000;
    const fromWeb = () => flows.filter((f) => f.pod === 'default/web' && f.flow.direction === 'outbound' && f.flow.destination.port === 80);
    while (fromWeb().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(fromWeb()[0]?.flow.verdict).toBe('intercepted');
  });

  it('is not injected where the namespace is not labelled', async () => {
    await k.ok(['apply', '-f', '-'], pod('plain', 'external', { app: 'plain' }));
    await eventually(['get', 'pod', 'plain', '-n', 'external'], /plain\s+1\/1\s+Running/);
    expect(await k.ok(['get', 'pod', 'plain', '-n', 'external', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('web');
  });

  it('keeps running as it was when its namespace is labelled: injection is decided at creation only', async () => {
    await k.ok(['label', 'namespace', 'external', 'istio-injection=enabled']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await k.ok(['get', 'pod', 'plain', '-n', 'external', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('web');
    expect((await containerNames()).filter((n) => n.includes('-external-plain-'))).not.toContain('interception-external-plain-istio-proxy');
    await k.ok(['apply', '-f', '-'], pod('later', 'external', { app: 'later' }));
    await eventually(['get', 'pod', 'later', '-n', 'external'], /later\s+2\/2\s+Running/);
  });

  it('is deleted after its containers stop, and its endpoint goes with it', async () => {
    const deleted = await k.run(['delete', 'pod', 'web']);
    expect(deleted.stdout).toContain('pod "web" deleted');
    expect((await k.run(['get', 'pod', 'web'])).stderr).toContain('pods "web" not found');
    expect((await containerNames()).filter((n) => n.startsWith('interception-default-web-'))).toEqual([]);
    await eventually(['get', 'endpoints', 'web', '-o', 'jsonpath={.subsets}'], /^$/);
    await capture!.refresh();
    expect(capture!.pods.map((p) => `${p.namespace}/${p.pod}`)).not.toContain('default/web');
    expect(await curlFromSleep('http://web.default/status/200')).not.toBe('200');
  });

  it('goes at once with --grace-period=0 --force, and a new pod may take its name', async () => {
    await k.run(['delete', 'pod', 'plain', '-n', 'external', '--grace-period=0', '--force']);
    await eventually(['get', 'pod', 'plain', '-n', 'external'], /not found/);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await containerNames()).filter((n) => n.startsWith('interception-external-plain-'))).toEqual([]);
    await k.ok(['apply', '-f', '-'], pod('plain', 'external', { app: 'plain' }));
    // Created after the label: this one is injected.
    await eventually(['get', 'pod', 'plain', '-n', 'external'], /plain\s+2\/2\s+Running/);
  });
});

describe('sidecar-lab apply FILE', () => {
  it('creates a namespace, a pod and its Service through the API, as kubectl apply does', async () => {
    const applied = await cliOk(['apply', fixture('apply-web.yaml')]);
    expect(applied.stderr).toContain('namespace/shop created');
    expect(applied.stderr).toContain('pod/cart created');
    expect(applied.stderr).toContain('service/cart created');
    await eventually(['get', 'pod', 'cart', '-n', 'shop'], /cart\s+2\/2\s+Running/);
    expect(await k.ok(['get', 'pod', 'cart', '-n', 'shop', '-o', "jsonpath={.metadata.annotations['kubectl\\.kubernetes\\.io/last-applied-configuration']}"])).toContain('"name":"cart"');
    expect(await curlFromSleep('http://cart.shop/status/200')).toBe('200');
    const again = await cliOk(['apply', fixture('apply-web.yaml')]);
    expect(again.stderr).toContain('pod/cart unchanged');
  });

  it('refuses a file the lab would not run, naming the file and the fault, and changes nothing', async () => {
    const r = await runCli(['apply', fixture('apply-bad-port.yaml')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('apply-bad-port.yaml');
    expect(r.stderr).toContain('no-such-port');
    expect((await k.run(['get', 'service', 'broken'])).stderr).toContain('services "broken" not found');
  });
});

const deployment = `
apiVersion: v1
kind: Namespace
metadata: { name: team }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: shopfront, namespace: team }
spec:
  replicas: 1
  selector: { matchLabels: { app: shopfront } }
  template:
    metadata: { labels: { app: shopfront } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: shopfront
        image: sidecar-lab/demo
        args: [httpbin, --port, "8080"]
        ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: shopfront, namespace: team }
spec:
  selector: { app: shopfront }
  ports: [{ name: http, port: 80, targetPort: http }]
`;

const shopfrontPods = async (): Promise<string[]> =>
  (await k.ok(['get', 'pods', '-n', 'team', '-l', 'app=shopfront', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.metadata.deletionTimestamp}{"\\n"}{end}']))
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([name, phase, deleting]) => name && phase === 'Running' && !deleting)
    .map(([name]) => name);

describe('a Deployment applied with kubectl', () => {
  it('reaches Running through its ReplicaSet, without a sidecar in a namespace not labelled', async () => {
    await k.ok(['apply', '-f', '-'], deployment);
    expect(await k.ok(['rollout', 'status', 'deployment/shopfront', '-n', 'team', '--timeout=90s'])).toContain('deployment "shopfront" successfully rolled out');
    const [pod] = await shopfrontPods();
    expect(pod).toMatch(/^shopfront-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(await k.ok(['get', 'pod', pod, '-n', 'team', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('shopfront');
    expect(await curlFromSleep('http://shopfront.team/status/200')).toBe('200');
  });

  it('gains a sidecar with label + rollout restart, with the rules in the new pod', async () => {
    await k.ok(['label', 'namespace', 'team', 'istio-injection=enabled']);
    const [before] = await shopfrontPods();
    expect(await k.ok(['get', 'pod', before, '-n', 'team', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('shopfront');
    await k.ok(['rollout', 'restart', 'deployment/shopfront', '-n', 'team']);
    expect(await k.ok(['rollout', 'status', 'deployment/shopfront', '-n', 'team', '--timeout=120s'])).toContain('successfully rolled out');
    await eventually(['get', 'pods', '-n', 'team', '-l', 'app=shopfront', '-o', 'jsonpath={.items[*].metadata.name}'], /^shopfront-\S+$/);
    const [after] = await shopfrontPods();
    expect(after).not.toBe(before);
    expect(await k.ok(['get', 'pod', after, '-n', 'team', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('shopfront istio-proxy');
    const saved = (await cliOk(['exec', after, '-n', 'team', '-c', 'tap', '--', 'iptables-save', '-t', 'nat'])).stdout;
    expect(saved).toContain('-A ISTIO_OUTPUT');
    expect((await containerNames()).filter((n) => n.includes(`-team-${before}-`))).toEqual([]);
  });

  it('rolls the pod when excludeOutboundPorts is patched onto the template, and the next request on that port bypasses the proxy', async () => {
    await k.ok(['patch', 'deployment', 'shopfront', '-n', 'team', '-p', '{"spec":{"template":{"metadata":{"annotations":{"traffic.sidecar.istio.io/excludeOutboundPorts":"80"}}}}}']);
    expect(await k.ok(['rollout', 'status', 'deployment/shopfront', '-n', 'team', '--timeout=120s'])).toContain('successfully rolled out');
    await eventually(['get', 'pods', '-n', 'team', '-l', 'app=shopfront', '-o', 'jsonpath={.items[*].metadata.name}'], /^shopfront-\S+$/);
    const [pod] = await shopfrontPods();
    // The window refreshes its capture every 2 s: the new pod's tap may come up just after it is Ready.
    const traced = () => capture!.pods.map((p) => `${p.namespace}/${p.pod}`);
    for (let i = 0; i < 20 && !traced().includes(`team/${pod}`); i++) {
      await capture!.refresh();
      if (!traced().includes(`team/${pod}`)) await new Promise((r) => setTimeout(r, 500));
    }
    expect(traced()).toContain(`team/${pod}`);
    await cliOk(['exec', pod, '-n', 'team', '-c', 'shopfront', '--', 'curl', '-s', '-o', '/dev/null', 'http://httpbin.default/status/200']);
    const deadline = Date.now() + 10_000;
    const mine = () => flows.filter((f) => f.pod === `team/${pod}` && f.flow.direction === 'outbound' && f.flow.destination.port === 80);
    while (mine().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(mine()[0]?.flow.verdict).toBe('bypassed');
  });

  it('adds an endpoint with kubectl scale --replicas=2', async () => {
    await k.ok(['scale', 'deployment', 'shopfront', '-n', 'team', '--replicas=2']);
    expect(await k.ok(['rollout', 'status', 'deployment/shopfront', '-n', 'team', '--timeout=120s'])).toContain('successfully rolled out');
    await eventually(['get', 'endpoints', 'shopfront', '-n', 'team', '-o', 'jsonpath={.subsets[0].addresses[*].ip}'], /^\S+ \S+$/);
  });

  it('leaves no container behind when deleted', async () => {
    await k.ok(['delete', 'deployment', 'shopfront', '-n', 'team']);
    await eventually(['get', 'pods', '-n', 'team', '-o', 'name'], /^(No resources found.*)?\s*$/);
    const deadline = Date.now() + 30_000;
    while ((await containerNames()).some((n) => n.startsWith('interception-team-')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect((await containerNames()).filter((n) => n.startsWith('interception-team-'))).toEqual([]);
    expect((await k.run(['get', 'rs', '-n', 'team', '-o', 'name'])).stdout.trim()).toBe('');
  });
});

describe("the document's istioctl commands", () => {
  it('kube-inject -f FILE | kubectl apply -f - runs the pod as injected, and proxy-config listener reads its sidecar', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-lab-inject-'));
    const file = join(dir, 'deployment.yaml');
    writeFileSync(
      file,
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: manual, namespace: external }
spec:
  selector: { matchLabels: { app: manual } }
  template:
    metadata:
      labels: { app: manual }
      annotations: { traffic.sidecar.istio.io/excludeOutboundPorts: "5432" }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: manual
        image: sidecar-lab/demo
        args: [httpbin, --port, "8080"]
        ports: [{ name: http, containerPort: 8080 }]
`,
    );
    const istioctl = resolve(repoRoot, 'resources/bin/istioctl');
    const piped = spawnSync('bash', ['-o', 'pipefail', '-c', `${istioctl} kube-inject -f ${file} | kubectl apply -f -`], { env, encoding: 'utf8' });
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout).toContain('deployment.apps/manual created');
    expect(await k.ok(['rollout', 'status', 'deployment/manual', '-n', 'external', '--timeout=120s'])).toContain('successfully rolled out');
    const pod = (await k.ok(['get', 'pods', '-n', 'external', '-l', 'app=manual', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    expect(await k.ok(['get', 'pod', pod, '-n', 'external', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('manual istio-proxy');
    // Run as given: istio-init's arguments are kube-inject's, the exclusion among them.
    const args = await k.ok(['get', 'pod', pod, '-n', 'external', '-o', 'jsonpath={.spec.initContainers[0].args}']);
    expect(args).toContain('5432');
    const saved = (await cliOk(['exec', pod, '-n', 'external', '-c', 'tap', '--', 'iptables-save', '-t', 'nat'])).stdout;
    expect(saved).toMatch(/-A ISTIO_OUTPUT -p tcp -m tcp --dport 5432 -j RETURN/);
    const listeners = spawnSync(istioctl, ['proxy-config', 'listener', `${pod}.external`, '--port', '15001'], { env, encoding: 'utf8' });
    expect(listeners.status, listeners.stderr).toBe(0);
    expect(listeners.stdout).toMatch(/^ADDRESSES\s+PORT\s+MATCH\s+DESTINATION/m);
    expect(listeners.stdout).toContain('15001');
  });
});

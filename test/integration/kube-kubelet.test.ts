// Pods written with Debian's kubectl run on the lab as on a node: injected at creation as Istio's webhook decides, served by their Services, stopped with their grace period.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, runCli } from './helpers/cli';
import { docker, labResources } from './helpers/docker';
import { startCapture, type CaptureSession } from '../../src-main/lab/runtime/capture-session';
import type { Flow } from '../../src-main/lab/capture/flow-types';
import { kubectlWith } from './helpers/kubectl';

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

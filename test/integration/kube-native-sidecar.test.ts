// A lab on Kubernetes 1.34 with Istio's default ENABLE_NATIVE_SIDECARS (auto): istio-proxy runs as a native sidecar, started before the app's init containers, and still intercepts the pod's traffic; Debian's kubectl sees it as on a cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliOk, runCli } from './helpers/cli';
import { docker } from './helpers/docker';
import { kubectlWith } from '../helpers/kubectl';
import { startCapture, type CaptureSession } from '../../src-main/lab/runtime/capture-session';
import type { Flow } from '../../src-main/lab/capture/flow-types';

const LAB = 'native';
// Not the lab's default release: the cluster reports what the Lab document says.
const VERSION = 'v1.34.2';

// No ENABLE_NATIVE_SIDECARS: istiod's default, auto.
const SCENARIO = `apiVersion: sidecarlab.dev/v1
kind: Lab
metadata:
  name: ${LAB}
spec:
  kubernetesVersion: ${VERSION}
---
apiVersion: v1
kind: Namespace
metadata:
  name: default
  labels:
    istio-injection: enabled
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin
  namespace: default
spec:
  selector:
    matchLabels: { app: httpbin }
  template:
    metadata:
      labels: { app: httpbin }
    spec:
      containers:
        - name: httpbin
          image: sidecar-lab/demo
          args: [httpbin, --port, "8080"]
          ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: httpbin, namespace: default }
spec:
  selector: { app: httpbin }
  ports: [{ name: http, port: 80, targetPort: http }]
`;

// The init container fails unless istio-proxy already answers its readiness port: it can only
// succeed when the sidecar was started before it, as Kubernetes starts a native sidecar.
const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  labels: { app: web }
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
    - name: setup
      image: sidecar-lab/demo
      command: [curl, -sf, -o, /dev/null, "http://127.0.0.1:15021/healthz/ready"]
  containers:
    - name: web
      image: sidecar-lab/demo
      args: [httpbin, --port, "8080"]
      ports: [{ name: http, containerPort: 8080 }]
`;

let env: NodeJS.ProcessEnv;
let scenarioFile = '';
let capture: CaptureSession | undefined;
const flows: { pod: string; flow: Flow }[] = [];
const k = kubectlWith(() => env);

async function eventually(args: string[], pattern: RegExp, timeoutMs = 90_000): Promise<string> {
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

beforeAll(async () => {
  await runCli(['down', '--all']);
  scenarioFile = join(mkdtempSync(join(tmpdir(), 'native-sidecar-')), 'native.yaml');
  writeFileSync(scenarioFile, SCENARIO);
  await cliOk(['up', scenarioFile]);
  env = { ...process.env, KUBECONFIG: (await cliOk(['kubeconfig'])).stdout.trim().replace('export KUBECONFIG=', '') };
  capture = await startCapture(docker, LAB, (pod, flow) => flows.push({ pod: `${pod.namespace}/${pod.pod}`, flow: structuredClone(flow) }));
}, 600_000);

afterAll(async () => {
  await capture?.stop();
  await runCli(['down', '--all']);
});

describe('the cluster reports the Lab document\'s Kubernetes release', () => {
  it('in kubectl version, /version and the node\'s nodeInfo', async () => {
    expect(await k.ok(['version', '--short'])).toContain(`Server Version: ${VERSION}`);
    expect(JSON.parse(await k.ok(['get', '--raw', '/version']))).toMatchObject({ gitVersion: VERSION, major: '1', minor: '34' });
    expect(await k.ok(['get', 'nodes', '-o', 'jsonpath={.items[0].status.nodeInfo.kubeletVersion}'])).toBe(VERSION);
  });
});

describe('auto on 1.34: istio-proxy is a native sidecar', () => {
  it('in the pods `up` started: only the app among the containers, istio-proxy an init container that runs', async () => {
    const pod = (await k.ok(['get', 'pods', '-l', 'app=httpbin', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    expect(await k.ok(['get', 'pod', pod, '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('httpbin');
    expect(await k.ok(['get', 'pod', pod, '-o', 'jsonpath={.spec.initContainers[*].name}'])).toBe('istio-init istio-proxy');
    expect(await k.ok(['get', 'pod', pod, '-o', 'jsonpath={.spec.initContainers[1].restartPolicy}'])).toBe('Always');
    await eventually(['get', 'pod', pod], /\s2\/2\s+Running/);
  });

  it('in a pod applied with kubectl: started before the app\'s init container, kept running, listed under initContainerStatuses; the annotation opts a pod out', async () => {
    expect(await k.ok(['apply', '-f', '-'], WEB)).toContain('pod/web created');
    await eventually(['get', 'pod', 'web'], /web\s+2\/2\s+Running/);
    expect(await k.ok(['get', 'pod', 'web', '-o', 'jsonpath={.spec.containers[*].name}'])).toBe('web');
    expect(await k.ok(['get', 'pod', 'web', '-o', 'jsonpath={.spec.initContainers[*].name}'])).toBe('istio-init istio-proxy setup');
    const status = JSON.parse(await k.ok(['get', 'pod', 'web', '-o', 'jsonpath={.status}'])) as {
      initContainerStatuses: { name: string; ready: boolean; started?: boolean; state: Record<string, { exitCode?: number; startedAt?: string }> }[];
      containerStatuses: { name: string; state: Record<string, { startedAt?: string }> }[];
      conditions: { type: string; status: string }[];
    };
    const byName = Object.fromEntries(status.initContainerStatuses.map((s) => [s.name, s]));
    expect(byName['istio-proxy']).toMatchObject({ ready: true, started: true });
    expect(Object.keys(byName['istio-proxy'].state)).toEqual(['running']);
    // setup asked istio-proxy's readiness port and got an answer: the sidecar ran before it.
    expect(byName.setup.state.terminated).toMatchObject({ exitCode: 0 });
    expect(status.containerStatuses.map((s) => s.name)).toEqual(['web']);
    const proxyStarted = Date.parse(byName['istio-proxy'].state.running.startedAt!);
    expect(Date.parse(status.containerStatuses[0].state.running.startedAt!)).toBeGreaterThanOrEqual(proxyStarted);
    expect(status.conditions.filter((c) => ['Initialized', 'Ready'].includes(c.type)).map((c) => c.status)).toEqual(['True', 'True']);
    // The annotation sidecar.istio.io/nativeSidecar: "false" opts a pod out: the classic layout.
    const classic = WEB.replace('name: web\n  namespace', 'name: classic\n  namespace')
      .replace('labels: { app: web }', 'labels: { app: classic }\n  annotations: { sidecar.istio.io/nativeSidecar: "false" }')
      .replace(/ {2}initContainers:[\s\S]*? {2}containers:/, '  containers:');
    expect(await k.ok(['apply', '-f', '-'], classic)).toContain('pod/classic created');
    await eventually(['get', 'pod', 'classic'], /classic\s+2\/2\s+Running/);
    expect(await k.ok(['get', 'pod', 'classic', '-o', 'jsonpath={.spec.initContainers[*].name} {.spec.containers[*].name}'])).toBe('istio-init web istio-proxy');
  });

  it('still intercepts the pod\'s traffic: a curl through the mesh is a flow through the proxy', async () => {
    await capture!.refresh();
    expect(capture!.pods.map((p) => `${p.namespace}/${p.pod}`)).toContain('default/web');
    await cliOk(['exec', 'web', '-c', 'web', '--', 'curl', '-s', '-o', '/dev/null', 'http://httpbin.default/status/200']);
    const deadline = Date.now() + 10_000;
    const fromWeb = () => flows.filter((f) => f.pod === 'default/web' && f.flow.direction === 'outbound' && f.flow.destination.port === 80);
    while (fromWeb().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(fromWeb()[0]?.flow.verdict).toBe('intercepted');
    const saved = (await cliOk(['exec', 'web', '-c', 'tap', '--', 'iptables-save', '-t', 'nat'])).stdout;
    expect(saved).toContain('-A ISTIO_OUTPUT');
  });
});

describe('the API host resumed', () => {
  it('reports the same release', async () => {
    const endpoint = JSON.parse(readFileSync(env.KUBECONFIG!.replace(/kubeconfig$/, 'api.json'), 'utf8')) as { pid: number };
    process.kill(endpoint.pid, 'SIGKILL');
    const up = await cliOk(['up', scenarioFile]);
    expect(up.stderr).toMatch(/Kubernetes API resumed at/);
    expect(JSON.parse(await k.ok(['get', '--raw', '/version']))).toMatchObject({ gitVersion: VERSION });
    expect(await k.ok(['get', 'nodes', '-o', 'jsonpath={.items[0].status.nodeInfo.kubeletVersion}'])).toBe(VERSION);
  });
});

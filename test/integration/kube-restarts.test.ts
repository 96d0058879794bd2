// Containers that exit are restarted as a node's kubelet restarts them: restartPolicy, CrashLoopBackOff with its back-off, restart counts and events, Init:Error from a real istio-init failure, a new image set through the API; the rest of the lab keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, runCli } from './helpers/cli';
import { docker } from './helpers/docker';
import { kubectlWith } from '../helpers/kubectl';
import { LABELS } from '../../src-main/lab/docker/engine';
import { containerName } from '../../src-main/lab/plan/names';

let env: NodeJS.ProcessEnv;
const k = kubectlWith(() => env);

/** Polls kubectl until its output matches (the kubelet works in the background, as a node's does). */
async function eventually(args: string[], pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await k.run(args);
    last = r.stdout + r.stderr;
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`kubectl ${args.join(' ')} never matched ${pattern}:\n${last}`);
}

const curlFromSleep = async (url: string): Promise<string> =>
  (await runCli(['exec', 'sleep', '--', 'curl', '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', url])).stdout.trim();

const started = async (pod: string, container: string): Promise<string> => (await docker.getContainer(containerName('interception', 'default', pod, container)).inspect()).State.StartedAt;

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', 'interception']);
  env = { ...process.env, KUBECONFIG: (await cliOk(['kubeconfig'])).stdout.trim().replace('export KUBECONFIG=', '') };
}, 600_000);

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('an app container that exits 1 at once (restartPolicy Always)', () => {
  const crash = `
apiVersion: v1
kind: Pod
metadata: { name: crash, namespace: default }
spec:
  containers:
  - name: app
    image: sidecar-lab/demo
    command: ["sh", "-c", "echo starting; exit 1"]
`;

  it('is restarted at once, then held in CrashLoopBackOff with its restarts counted, as on a cluster', async () => {
    await k.ok(['apply', '-f', '-'], crash);
    // The first exit is restarted at once; the second waits 10 s: CrashLoopBackOff, 1 restart.
    const row = await eventually(['get', 'pod', 'crash', '--no-headers'], /crash\s+1\/2\s+CrashLoopBackOff\s+1 \(\d+s ago\)/);
    expect(row).toMatch(/^crash\s+1\/2\s+CrashLoopBackOff/);
    const status = JSON.parse(await k.ok(['get', 'pod', 'crash', '-o', 'json'])).status;
    const app = status.containerStatuses.find((c: { name: string }) => c.name === 'app');
    expect(app.state.waiting.reason).toBe('CrashLoopBackOff');
    expect(app.state.waiting.message).toMatch(/^back-off 10s restarting failed container=app pod=crash_default\(/);
    expect(app.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(app.restartCount).toBe(1);
    expect(status.phase).toBe('Running');
    // In its back-off, `logs` and `logs --previous` both read the run that just ended (lastState), one run only.
    expect(await k.ok(['logs', 'crash', '-c', 'app'])).toBe('starting\n');
    expect(await k.ok(['logs', 'crash', '-c', 'app', '--previous'])).toBe('starting\n');
  });

  it('writes the kubelet events: Created and Started again, then BackOff', async () => {
    const events = await eventually(
      ['get', 'events', '--field-selector', 'involvedObject.name=crash', '-o', 'jsonpath={range .items[*]}{.type} {.reason} {.count} {.message}{"\\n"}{end}'],
      /Warning BackOff \d+ Back-off restarting failed container app in pod crash_default\(/,
    );
    expect(events).toMatch(/Normal Started \d+ Started container app/);
    expect(events).toMatch(/Normal Created \d+ Created container: app/);
  });

  it('keeps the pod sandbox and its sidecar: only the app container restarts', async () => {
    const pause = await started('crash', 'pause');
    const proxy = await started('crash', 'istio-proxy');
    // After the 10 s back-off the app runs again (and exits again): restart 2.
    await eventually(['get', 'pod', 'crash', '-o', 'jsonpath={.status.containerStatuses[?(@.name=="app")].restartCount}'], /^2$/, 30_000);
    expect(await started('crash', 'pause')).toBe(pause);
    expect(await started('crash', 'istio-proxy')).toBe(proxy);
    const sidecar = JSON.parse(await k.ok(['get', 'pod', 'crash', '-o', 'json'])).status.containerStatuses.find((c: { name: string }) => c.name === 'istio-proxy');
    expect(sidecar).toMatchObject({ restartCount: 0, ready: true });
    expect(Object.keys(sidecar.state)).toEqual(['running']);
  });

  it('leaves the rest of the lab serving', async () => {
    expect(await curlFromSleep('http://httpbin.default/status/200')).toBe('200');
    expect(await k.ok(['get', 'pods', '-l', 'app=httpbin', '--no-headers'])).toMatch(/2\/2\s+Running\s+0\s/);
    await k.ok(['delete', 'pod', 'crash', '--grace-period=0', '--force']);
  });
});

describe('a container that exits 0 with restartPolicy Never', () => {
  it('is Completed, not restarted; the pod Succeeded', async () => {
    await k.ok(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: Pod
metadata: { name: once, namespace: default, annotations: { sidecar.istio.io/inject: "false" } }
spec:
  restartPolicy: Never
  containers:
  - name: job
    image: sidecar-lab/demo
    command: ["sh", "-c", "echo done"]
`,
    );
    await eventually(['get', 'pod', 'once', '--no-headers'], /^once\s+0\/1\s+Completed\s+0\s/);
    await new Promise((r) => setTimeout(r, 1500));
    const status = JSON.parse(await k.ok(['get', 'pod', 'once', '-o', 'json'])).status;
    expect(status.phase).toBe('Succeeded');
    expect(status.containerStatuses[0]).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    // The kubelet stops a finished pod's sandbox; the pod's status and its container's log stay.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await docker.getContainer(containerName('interception', 'default', 'once', 'pause')).inspect()).State.Running) await new Promise((r) => setTimeout(r, 300));
    expect((await docker.getContainer(containerName('interception', 'default', 'once', 'pause')).inspect()).State.Running).toBe(false);
    expect(await k.ok(['get', 'pod', 'once', '-o', 'jsonpath={.status.phase}'])).toBe('Succeeded');
    expect(await k.ok(['logs', 'once'])).toBe('done\n');
    const previous = await k.run(['logs', 'once', '-p']);
    expect(previous.code).not.toBe(0);
    expect(previous.stderr).toMatch(/Error from server \(BadRequest\): previous terminated container "job" in pod "once" not found/);
    await k.ok(['delete', 'pod', 'once', '--grace-period=0', '--force']);
  });
});

describe('istio-init that fails at run time', () => {
  // Istio copies proxyMetadata into istio-init's environment; istio-iptables then refuses a
  // loopback CIDR that is not one (config.ValidateIPv4LoopbackCidr) and exits 1. The webhook
  // does not check it, so the pod is admitted and fails on the node, as on a cluster.
  const broken = `
apiVersion: v1
kind: Pod
metadata:
  name: badinit
  namespace: default
  annotations:
    proxy.istio.io/config: '{"proxyMetadata": {"ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR": "10.0.0.0/8"}}'
spec:
  containers:
  - name: web
    image: sidecar-lab/demo
    args: [httpbin, --port, "8080"]
`;

  it('shows Init:Error then Init:CrashLoopBackOff, restarts istio-init, and never starts the app containers', async () => {
    await k.ok(['apply', '-f', '-'], broken);
    await eventually(['get', 'pod', 'badinit', '--no-headers'], /badinit\s+0\/2\s+Init:(Error|CrashLoopBackOff)\s/);
    await eventually(['get', 'pod', 'badinit', '--no-headers'], /badinit\s+0\/2\s+Init:CrashLoopBackOff\s+1 \(\d+s ago\)/);
    const status = JSON.parse(await k.ok(['get', 'pod', 'badinit', '-o', 'json'])).status;
    expect(status.phase).toBe('Pending');
    expect(status.initContainerStatuses[0]).toMatchObject({ name: 'istio-init', restartCount: 1, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
    expect(status.containerStatuses.map((c: { state: Record<string, unknown> }) => c.state)).toEqual([
      { waiting: { reason: 'PodInitializing' } },
      { waiting: { reason: 'PodInitializing' } },
    ]);
    // istio-iptables says why, in istio-init's log.
    expect(await k.ok(['logs', 'badinit', '-c', 'istio-init'])).toMatch(/10\.0\.0\.0\/8/);
    const names = (await docker.listContainers({ all: true, filters: { label: [`${LABELS.lab}=interception`, `${LABELS.pod}=badinit`] } })).map((c) => c.Labels[LABELS.container]);
    expect(names).not.toContain('web');
    expect(names).not.toContain('istio-proxy');
    const events = await k.ok(['get', 'events', '--field-selector', 'involvedObject.name=badinit', '-o', 'jsonpath={range .items[*]}{.reason} {.message}{"\\n"}{end}']);
    expect(events).toMatch(/BackOff Back-off restarting failed container istio-init in pod badinit_default\(/);
    expect(await curlFromSleep('http://httpbin.default/status/200')).toBe('200');
  });

  it('goes on to start the pod once istio-init succeeds: the pod replaced with a good value runs', async () => {
    await k.ok(['delete', 'pod', 'badinit', '--grace-period=0', '--force']);
    await k.ok(['apply', '-f', '-'], broken.replace('10.0.0.0/8', '127.0.0.1/32'));
    await eventually(['get', 'pod', 'badinit', '--no-headers'], /badinit\s+2\/2\s+Running\s+0\s/);
    await k.ok(['delete', 'pod', 'badinit', '--grace-period=0', '--force']);
  });

  it('resumes the pod from a failed init container restarted in place: once it succeeds, istio-init, the sidecar and the app start', async () => {
    // The init container fails on its first run only (its file system is kept across the restart, as the lab restarts in place).
    await k.ok(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: Pod
metadata: { name: retry, namespace: default }
spec:
  initContainers:
  - name: setup
    image: sidecar-lab/demo
    command: ["sh", "-c", "if [ -e /tmp/ran ]; then echo second; exit 0; fi; touch /tmp/ran; echo first; exit 1"]
  containers:
  - name: web
    image: sidecar-lab/demo
    args: [httpbin, --port, "8080"]
`,
    );
    await eventually(['get', 'pod', 'retry', '--no-headers'], /retry\s+2\/2\s+Running\s+0\s/);
    const status = JSON.parse(await k.ok(['get', 'pod', 'retry', '-o', 'json'])).status;
    const inits = Object.fromEntries(status.initContainerStatuses.map((c: { name: string }) => [c.name, c]));
    expect(inits.setup).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 1, reason: 'Error' } }, state: { terminated: { exitCode: 0 } } });
    expect(inits['istio-init']).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    // Each run's log apart, as the kubelet keeps the previous container's: the current run, and --previous the one before.
    expect(await k.ok(['logs', 'retry', '-c', 'setup'])).toBe('second\n');
    expect(await k.ok(['logs', 'retry', '-c', 'setup', '--previous'])).toBe('first\n');
    expect(await k.ok(['logs', 'retry', '-c', 'web', '-p']).catch((e: Error) => e.message)).toMatch(/previous terminated container "web" in pod "retry" not found/);
    await k.ok(['delete', 'pod', 'retry', '--grace-period=0', '--force']);
  });
});

describe('the lab says what it did to a pod `up` started', () => {
  it('writes Injected (why the webhook selected it) and RulesApplied (how many rules istio-init applied), as sidecar-lab', async () => {
    const sleep = (await k.ok(['get', 'pod', '-l', 'app=sleep', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const events = await eventually(
      ['get', 'events', '--field-selector', `involvedObject.name=${sleep}`, '-o', 'jsonpath={range .items[*]}{.source.component} {.reason} {.message}{"\\n"}{end}'],
      /sidecar-lab RulesApplied istio-init applied \d+ iptables rules/,
      20_000,
    );
    expect(events).toMatch(/sidecar-lab Injected Sidecar injected by Istio's webhook \(istio-init, istio-proxy\): \S/);
    expect(Number(/applied (\d+) iptables rules/.exec(events)![1])).toBeGreaterThan(10);
    expect(await k.ok(['describe', 'pod', sleep])).toMatch(/RulesApplied\s+\S+\s+sidecar-lab\s+istio-init applied/);
  });
});

describe('probes, as the kubelet runs them', () => {
  const gate = `
apiVersion: v1
kind: Service
metadata: { name: gate, namespace: default }
spec:
  selector: { app: gate }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Pod
metadata: { name: gate, namespace: default, labels: { app: gate } }
spec:
  containers:
  - name: web
    image: sidecar-lab/demo
    args: [httpbin, --port, "8080"]
    ports: [{ containerPort: 8080 }]
    readinessProbe:
      httpGet: { path: /status/200, port: 9090 }
      periodSeconds: 1
      failureThreshold: 1
`;
  const endpointIps = async (): Promise<string> => (await k.ok(['get', 'endpoints', 'gate', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).trim();
  const readyCondition = async (): Promise<string> => k.ok(['get', 'pod', 'gate', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);

  it('a failing readiness probe (rewritten by Istio to the agent) keeps the pod unready, out of its Service, with Unhealthy events', async () => {
    await k.ok(['apply', '-f', '-'], gate);
    // Istio's injector sent the kubelet to pilot-agent, which probes the app on 9090 where nothing listens.
    expect(await k.ok(['get', 'pod', 'gate', '-o', 'jsonpath={.spec.containers[?(@.name=="web")].readinessProbe.httpGet.path}'])).toBe('/app-health/web/readyz');
    await eventually(['get', 'pod', 'gate', '--no-headers'], /^gate\s+1\/2\s+Running\s+0\s/);
    const events = await eventually(
      ['get', 'events', '--field-selector', 'involvedObject.name=gate', '-o', 'jsonpath={range .items[*]}{.type} {.reason} {.count} {.message}{"\\n"}{end}'],
      /Warning Unhealthy ([2-9]|\d\d+) Readiness probe failed: HTTP probe failed with statuscode: 500/,
      20_000,
    );
    // The same failure again is one event whose count grows, as client-go's recorder merges it.
    expect(events.match(/Readiness probe failed: HTTP probe failed with statuscode: 500/g)).toHaveLength(1);
    expect(await readyCondition()).toBe('False');
    expect(await endpointIps()).toBe('');
  });

  it('once the probe passes the pod is Ready and in Endpoints; failing again takes it out', async () => {
    await k.ok(['exec', 'gate', '-c', 'web', '--', 'sh', '-c', 'setsid demo httpbin --port 9090 >/dev/null 2>&1 </dev/null &']);
    await eventually(['get', 'pod', 'gate', '--no-headers'], /^gate\s+2\/2\s+Running\s+0\s/, 20_000);
    const ip = (await k.ok(['get', 'pod', 'gate', '-o', 'jsonpath={.status.podIP}'])).trim();
    await eventually(['get', 'endpoints', 'gate', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'], new RegExp(`^${ip.replace(/\./g, '\\.')}$`), 10_000);
    expect(await readyCondition()).toBe('True');
    await k.ok(['exec', 'gate', '-c', 'web', '--', 'pkill', '-f', 'port 9090']);
    await eventually(['get', 'pod', 'gate', '--no-headers'], /^gate\s+1\/2\s+Running\s+0\s/, 20_000);
    await eventually(['get', 'endpoints', 'gate', '-o', 'jsonpath=[{.subsets[*].addresses[*].ip}]'], /^\[\]$/, 10_000);
    await k.ok(['delete', 'pod', 'gate', '--grace-period=0', '--force']);
    await k.ok(['delete', 'service', 'gate']);
  });

  it('a failing liveness probe kills and restarts the container: Killing, RESTARTS 1', async () => {
    await k.ok(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: Pod
metadata: { name: alive, namespace: default, annotations: { sidecar.istio.io/inject: "false" } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: sidecar-lab/demo
    command: ["sh", "-c", "touch /tmp/alive; exec sleep infinity"]
    livenessProbe:
      exec: { command: [test, -e, /tmp/alive] }
      periodSeconds: 1
      failureThreshold: 2
`,
    );
    await eventually(['get', 'pod', 'alive', '--no-headers'], /^alive\s+1\/1\s+Running\s+0\s/);
    await k.ok(['exec', 'alive', '--', 'rm', '/tmp/alive']);
    await eventually(['get', 'pod', 'alive', '--no-headers'], /^alive\s+1\/1\s+Running\s+1 \(\d+s ago\)/, 30_000);
    const events = await k.ok(['get', 'events', '--field-selector', 'involvedObject.name=alive', '-o', 'jsonpath={range .items[*]}{.type} {.reason} {.count} {.message}{"\\n"}{end}']);
    expect(events).toMatch(/Warning Unhealthy [2-9] Liveness probe failed: \n/);
    expect(events).toMatch(/Normal Killing 1 Container app failed liveness probe, will be restarted/);
    const app = JSON.parse(await k.ok(['get', 'pod', 'alive', '-o', 'json'])).status.containerStatuses[0];
    expect(app).toMatchObject({ restartCount: 1, ready: true, lastState: { terminated: { exitCode: 137 } } });
    expect(await k.ok(['describe', 'pod', 'alive'])).toMatch(/Killing\s+\S+\s+kubelet\s+Container app failed liveness probe, will be restarted/);
    await k.ok(['delete', 'pod', 'alive', '--grace-period=0', '--force']);
  });
});

describe('a pod\'s image changed through the API', () => {
  it('kubectl set image kills the app container (Killing) and starts it again from the new image; the sidecar stays', async () => {
    await k.ok(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: Pod
metadata: { name: swap, namespace: default }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: sidecar-lab/demo
    command: ["sh", "-c", "echo run; exec sleep infinity"]
`,
    );
    await eventually(['get', 'pod', 'swap', '--no-headers'], /^swap\s+2\/2\s+Running\s+0\s/);
    const before = await docker.getContainer(containerName('interception', 'default', 'swap', 'app')).inspect();
    const proxy = await started('swap', 'istio-proxy');
    // Anything else is still refused, as kube-apiserver refuses it.
    const refused = await k.run(['patch', 'pod', 'swap', '-p', '{"spec":{"containers":[{"name":"app","args":["x"]}]}}']);
    expect(refused.stderr).toContain('The Pod "swap" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,');
    expect(await k.ok(['set', 'image', 'pod/swap', 'app=example.com/shop/cart:2.0'])).toBe('pod/swap image updated\n');
    await eventually(['get', 'pod', 'swap', '--no-headers'], /^swap\s+2\/2\s+Running\s+1 \(\d+s ago\)/, 30_000);
    // Not on this machine: a stand-in in the demo image runs the container's command.
    const after = await docker.getContainer(containerName('interception', 'default', 'swap', 'app')).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(after.Config.Labels[`${LABELS.container}.replaces`]).toBe('example.com/shop/cart:2.0');
    expect(await started('swap', 'istio-proxy')).toBe(proxy);
    const app = JSON.parse(await k.ok(['get', 'pod', 'swap', '-o', 'json'])).status.containerStatuses.find((c: { name: string }) => c.name === 'app');
    expect(app).toMatchObject({ image: 'example.com/shop/cart:2.0', restartCount: 1, ready: true, lastState: { terminated: { containerID: `docker://${before.Id}` } } });
    const events = await eventually(
      ['get', 'events', '--field-selector', 'involvedObject.name=swap', '-o', 'jsonpath={range .items[*]}{.reason} {.message}{"\\n"}{end}'],
      /Pulled Container image "example.com\/shop\/cart:2.0"/,
      10_000,
    );
    expect(events).toMatch(/Killing Container app definition changed, will be restarted/);
    expect(await k.ok(['logs', 'swap', '-c', 'app'])).toBe('run\n');
    await k.ok(['delete', 'pod', 'swap', '--grace-period=0', '--force']);
  });
});

describe('kubectl delete namespace', () => {
  it('turns it Terminating, refuses new content, stops its pods with their grace period, then removes it', async () => {
    await k.ok(['create', 'namespace', 'shop']);
    await k.ok(
      ['apply', '-f', '-'],
      `
apiVersion: v1
kind: Pod
metadata: { name: cart, namespace: shop, annotations: { sidecar.istio.io/inject: "false" } }
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: sidecar-lab/demo
    command: ["sleep", "infinity"]
`,
    );
    await eventually(['get', 'pod', 'cart', '-n', 'shop', '--no-headers'], /^cart\s+1\/1\s+Running\s/);
    const started = Date.now();
    expect(await k.ok(['delete', 'namespace', 'shop', '--wait=false'])).toBe('namespace "shop" deleted\n');
    expect(await k.ok(['get', 'namespace', 'shop', '--no-headers'])).toMatch(/^shop\s+Terminating\s/);
    const refused = await k.run(['create', 'configmap', 'late', '-n', 'shop']);
    expect(refused.stderr).toBe('Error from server (Forbidden): configmaps "late" is forbidden: unable to create new content in namespace shop because it is being terminated\n');
    await eventually(['get', 'namespace', 'shop'], /NotFound\): namespaces "shop" not found/, 20_000);
    // sleep ignores SIGTERM: the kubelet waited the pod's 2 s grace period, then killed it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABELS.lab}=interception`, `${LABELS.namespace}=shop`] } });
    expect(left).toEqual([]);
    expect(await curlFromSleep('http://httpbin.default/status/200')).toBe('200');
  });
});

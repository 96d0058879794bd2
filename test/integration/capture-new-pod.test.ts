// A command run in a pod the moment `kubectl rollout status` returns is seen by the lab's capture: exec waits until every live capture traces the new pod.
// (`sidecar-lab exec` waits the same way; its own start-up, a few seconds under tsx, hides the race, so kubectl's quick exec is the test.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveCaptures } from '../../src-main/lab/runtime/capture-registry';
import { startCapture, type CaptureSession } from '../../src-main/lab/runtime/capture-session';
import type { Flow } from '../../src-main/lab/capture/flow-types';
import { TRACE_TABLE } from '../../src-main/lab/capture/trace-table';
import { cliOk, runCli } from './helpers/cli';
import { docker } from './helpers/docker';
import { kubectlWith } from '../helpers/kubectl';

let env: NodeJS.ProcessEnv;
let capture: CaptureSession | undefined;
let follow: NodeJS.Timeout | undefined;
const flows: { pod: string; flow: Flow }[] = [];
const k = kubectlWith(() => env);

const manifest = `
apiVersion: v1
kind: Namespace
metadata: { name: fresh, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: fresh }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: sidecar-lab/demo
        args: [httpbin, --port, "8080"]
        ports: [{ name: http, containerPort: 8080 }]
`;

/** The newest web pod once the rollout is done (the old one may still be terminating). */
async function rolledOutPod(): Promise<string> {
  expect(await k.ok(['rollout', 'status', 'deployment/web', '-n', 'fresh', '--timeout=120s'])).toContain('successfully rolled out');
  return (await k.ok(['get', 'pods', '-n', 'fresh', '-l', 'app=web', '--sort-by=.metadata.creationTimestamp', '-o', 'jsonpath={.items[-1:].metadata.name}'])).trim();
}

/** Loopback from the app bypasses the proxy: only the tap's trace can see it, never the proxy. */
async function bypassSeen(pod: string): Promise<Flow | undefined> {
  const deadline = Date.now() + 10_000;
  // Outbound: the kubelet's readiness probes reach 15021 too, inbound from the node, and are flows of their own.
  const mine = () =>
    flows.find((f) => f.pod === `fresh/${pod}` && f.flow.direction === 'outbound' && f.flow.destination.port === 15021 && f.flow.verdict === 'bypassed')?.flow;
  while (!mine() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  return mine();
}

/** The nftables tables in the sleep pod's network namespace, as its tap lists them. */
async function traceTables(): Promise<string> {
  return (await cliOk(['exec', 'sleep', '-c', 'tap', '--', 'nft', 'list', 'tables'])).stdout;
}

async function callHttpbin(): Promise<void> {
  await cliOk(['exec', 'sleep', '-c', 'sleep', '--', 'curl', '-s', '-o', '/dev/null', 'http://httpbin/get']);
}

/** sleep's outbound flow to httpbin's port among the flows collected after index `from`. */
async function seenAfter(list: { pod: string; flow: Flow }[], from: number): Promise<Flow | undefined> {
  const deadline = Date.now() + 10_000;
  const find = () =>
    list.slice(from).find((f) => f.pod.startsWith('default/sleep-') && f.flow.direction === 'outbound' && f.flow.destination.port === 80)?.flow;
  while (!find() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  return find();
}

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', 'interception']);
  env = { ...process.env, KUBECONFIG: (await cliOk(['kubeconfig'])).stdout.trim().replace('export KUBECONFIG=', '') };
  capture = await startCapture(docker, 'interception', (pod, flow) => flows.push({ pod: `${pod.namespace}/${pod.pod}`, flow: structuredClone(flow) }));
  // Followed by polling, as the workshop's capture and the window's do.
  follow = setInterval(() => void capture?.refresh().catch(() => undefined), 1000);
}, 600_000);

afterAll(async () => {
  clearInterval(follow);
  await capture?.stop();
  await runCli(['down', '--all']);
});

describe('a new pod and the capture', () => {
  it('publishes which pods this capture traces, for other processes', () => {
    const mine = liveCaptures('interception').find((c) => c.pid === process.pid);
    expect(Object.keys(mine?.pods ?? {})).toEqual(expect.arrayContaining([expect.stringMatching(/^default\/sleep-/)]));
  });

  it('kubectl exec right after rollout status: the first connection of the new pod is in the flows', async () => {
    await k.ok(['apply', '-f', '-'], manifest);
    const pod = await rolledOutPod();
    await k.ok(['exec', pod, '-n', 'fresh', '-c', 'web', '--', 'curl', '-s', '-o', '/dev/null', 'http://127.0.0.1:15021/healthz/ready']);
    expect((await bypassSeen(pod))?.legs[0]?.decidingRule?.ruleText).toBe('-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN');
  });

  it("a second capture shares the tap's trace table: when it stops, the first still sees the pod's flows", async () => {
    const second: { pod: string; flow: Flow }[] = [];
    const other = await startCapture(docker, 'interception', (pod, flow) => second.push({ pod: `${pod.namespace}/${pod.pod}`, flow: structuredClone(flow) }));
    try {
      await callHttpbin();
      expect(await seenAfter(second, 0), 'the second capture sees the call').toBeDefined();
    } finally {
      await other.stop();
    }
    expect(await traceTables()).toContain(`table inet ${TRACE_TABLE}`);
    const before = flows.length;
    await callHttpbin();
    expect(await seenAfter(flows, before), 'the first capture still sees the next call').toBeDefined();
  });

  it('stops publishing when the capture stops, and the last capture to stop removes the trace table', async () => {
    await capture?.stop();
    capture = undefined;
    expect(liveCaptures('interception').find((c) => c.pid === process.pid)).toBeUndefined();
    expect(await traceTables()).not.toContain(TRACE_TABLE);
  });
});

// The window end to end: the built renderer in headless Chromium against `sidecar-lab serve` and a real lab.
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';
import { kubectlWith } from '../helpers/kubectl';
import { openWindow, shots, typeInTerminal as typeIn, type Window } from './helpers/window';

let win: Window;
let pageUrl: string;
let page: Page;

/** Types a command line into the active terminal tab. */
const typeInTerminal = (line: string): Promise<void> => typeIn(page, line);

beforeAll(async () => {
  await runCli(['down', '--all']);
  win = await openWindow();
  ({ page, url: pageUrl } = win);
  expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/);
});

afterAll(async () => {
  await win?.close();
  await runCli(['down', '--all']);
});

describe('the window, against a real lab', () => {
  it('starts interception from the topology view and shows its pods', async () => {
    await page.getByLabel('Scenario').selectOption('interception');
    await page.getByRole('button', { name: 'Start lab' }).click();
    await page.getByRole('button', { name: 'Stop lab' }).waitFor({ timeout: 170_000 });
    await page.getByRole('article', { name: /^Pod default\/sleep-/ }).waitFor({ timeout: 30_000 });
    await expect(page.getByRole('article', { name: /^Pod default\/httpbin-/ }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: resolve(shots, 'topology.png') });
  });

  it('shows a request made in the terminal as a flow, with its rule and cluster', async () => {
    await page.getByText(/Started from this window: quitting the app removes it/).waitFor({ timeout: 10_000 });
    await page.getByRole('tab', { name: /Terminal/ }).click();
    // The hint names the scenario's own Service at the port it listens on (httpbin: 80), not a hard-coded :8000.
    const hint = page.getByText(/No terminal open/);
    await expect(hint.textContent()).resolves.toContain('curl -s httpbin.default/');
    await page.screenshot({ path: resolve(shots, 'terminal-empty.png') });
    const podSelect = page.getByLabel('Pod').filter({ visible: true });
    const sleepPod = await podSelect.locator('option', { hasText: 'default/sleep-' }).getAttribute('value');
    await podSelect.selectOption(sleepPod!);
    await page.getByLabel('Container').filter({ visible: true }).selectOption('tap');
    await page.getByRole('button', { name: 'New shell' }).click();
    await page.locator('[aria-label="Terminal"]:not(.hidden) .xterm').first().waitFor();
    await page.waitForTimeout(1500); // the shell's prompt
    // Typed straight after "New shell", without a click: the keys go to the shell, not to the button.
    await page.keyboard.type('echo typed-into-the-shell');
    await page.keyboard.press('Enter');
    await page.locator('[aria-label="Terminal"]:not(.hidden) .xterm-rows').getByText('typed-into-the-shell').nth(1).waitFor({ timeout: 10_000 });
    await expect(page.getByRole('tab', { name: /· tap/ }).count()).resolves.toBe(1);
    const tabBox = await page.getByRole('tab', { name: /· tap/ }).boundingBox();
    expect(tabBox!.height).toBeLessThan(30); // one line
    // The terminal has kubectl, pointed at the lab's API as in-cluster clients reach it.
    await typeInTerminal('kubectl get pods -o name');
    await page.locator('[aria-label="Terminal"]:not(.hidden) .xterm-rows').getByText(/^pod\/sleep-/).first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: resolve(shots, 'terminal.png') });
    await typeInTerminal('curl -s -o /dev/null -w "%{http_code}\\n" http://httpbin.default/get');
    await page.getByRole('tab', { name: /Flows/ }).click();
    const flow = page.getByRole('option').filter({ hasText: 'outbound|80||httpbin.default.svc.cluster.local' }).filter({ hasText: 'intercepted' });
    await flow.first().waitFor({ timeout: 30_000 });
    await flow.first().click();
    await expect(page.getByText('ISTIO_REDIRECT').first().isVisible()).resolves.toBe(true);
    // The title as rendered (innerText applies CSS): the pod's name as it is, not title-cased.
    const title = await page.getByRole('region', { name: 'Flow details' }).getByRole('heading', { level: 3 }).innerText();
    expect(title).toMatch(/^Outbound flow default\/sleep-/);
    // The proxy's upstream connection for this request is never the app's bypass: no bypassed :80 row before any rule changes.
    await page.waitForTimeout(3000);
    await expect(page.getByRole('option').filter({ hasText: 'bypassed' }).filter({ hasText: ':80' }).count()).resolves.toBe(0);
    await page.screenshot({ path: resolve(shots, 'flows.png') });
    // A connection the proxy opens for itself (uid 1337, as istio-proxy's own container runs) is listed as the proxy's.
    await runCli(['exec', 'sleep', '-c', 'istio-proxy', '--', 'curl', '-s', '-o', '/dev/null', 'http://httpbin.default/headers']);
    const own = page.getByRole('option').filter({ hasText: 'istio-proxy' }).filter({ hasText: ':80' });
    await own.first().waitFor({ timeout: 30_000 });
    await expect(own.first().innerText()).resolves.not.toMatch(/bypassed|no proxy/);
    await own.first().click();
    await page.getByText(/istio-proxy itself/).waitFor();
    // The diagrams drawn whole: their packets have arrived and every arrow has lit up.
    // Polled from here: the page's CSP refuses the string evaluation waitForFunction does in the page.
    await expect.poll(() => page.evaluate<boolean>('document.getAnimations().every((a) => a.playState !== "running")'), { timeout: 10_000 }).toBe(true).catch(() => undefined);
    await page.screenshot({ path: resolve(shots, 'flows-proxy-own.png') });
  });

  it('refuses a WebSocket without the token, and exports a pcap that holds the pod\'s packets', async () => {
    const ws = (path: string) => new WebSocket(pageUrl.replace(/^http/, 'ws').replace(/\/\?.*$/, path));
    const refused = ws('/');
    const code = await new Promise<number>((done) => refused.on('close', (c) => done(c)));
    expect(code).toBe(4401);

    const client = ws(`/?token=${new URL(pageUrl).searchParams.get('token')}`);
    await new Promise((done, fail) => {
      client.once('open', done);
      client.once('error', fail);
    });
    const status = JSON.parse((await runCli(['status', '--json'])).stdout) as { pods: { name: string }[] };
    const sleepPod = status.pods.find((p) => p.name.startsWith('sleep-'))!.name;
    client.send(JSON.stringify({ id: 1, command: 'pcap.export', args: { pod: sleepPod, namespace: 'default' } }));
    const reply = new Promise<{ result?: { encoding: string; content: string; fileName: string }; error?: unknown }>((done) =>
      client.on('message', (m) => {
        const msg = JSON.parse(m.toString()) as { id?: number };
        if (msg.id === 1) done(msg as never);
      }),
    );
    // Traffic while the capture listens.
    await page.waitForTimeout(1000);
    await runCli(['exec', 'sleep', '--', 'curl', '-s', '-o', '/dev/null', 'http://httpbin.default/get']);
    const { result, error } = await reply;
    client.close();
    expect(error).toBeUndefined();
    expect(result?.fileName).toMatch(/^default-sleep-.*\.pcap$/);
    const pcap = Buffer.from(result!.content, 'base64');
    expect([0xa1b2c3d4, 0xd4c3b2a1]).toContain(pcap.readUInt32LE(0));
    expect(pcap.length).toBeGreaterThan(24 + 16 + 40); // the file header and at least one packet
  });

  it('a rule inserted from the terminal makes the next request bypass the proxy, and the rules view shows it', async () => {
    await page.getByRole('tab', { name: /Terminal/ }).click();
    await typeInTerminal('iptables -t nat -I ISTIO_OUTPUT 1 -p tcp --dport 80 -j RETURN');
    await typeInTerminal('curl -s -o /dev/null http://httpbin.default/headers');
    await page.getByRole('tab', { name: /Flows/ }).click();
    const bypassed = page.getByRole('option').filter({ hasText: 'bypassed' }).filter({ hasText: ':80' }).filter({ hasText: 'sleep-' });
    await bypassed.first().waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: /Rules/ }).click();
    const podSelect = page.getByLabel('Pod').filter({ visible: true });
    const rulesPod = await podSelect.locator('option', { hasText: 'default/sleep-' }).getAttribute('value');
    await podSelect.selectOption(rulesPod!);
    const chain = page.getByRole('region', { name: 'nat ISTIO_OUTPUT' });
    await chain.getByText('--dport 80 -j RETURN').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: resolve(shots, 'rules.png') });
  });

  it('follows a pod created and deleted with kubectl in the Topology', async () => {
    const kubeconfig = (await runCli(['kubeconfig'])).stdout.trim().replace('export KUBECONFIG=', '');
    const kubectl = kubectlWith(() => ({ ...process.env, KUBECONFIG: kubeconfig }));
    const pod = `apiVersion: v1
kind: Pod
metadata: { name: web, namespace: default, labels: { app: web } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: web, image: sidecar-lab/demo, args: [httpbin, --port, "8080"], ports: [{ containerPort: 8080 }] }
`;
    await kubectl.ok(['apply', '-f', '-'], pod);
    await page.getByRole('tab', { name: /Topology/ }).click();
    const card = page.getByRole('article', { name: /^Pod default\/web$/ });
    await card.waitFor({ timeout: 60_000 });
    await page.screenshot({ path: resolve(shots, 'topology-kubectl-pod.png') });
    await kubectl.ok(['delete', 'pod', 'web']);
    await card.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it("shows a crashing pod as the API reports it: CrashLoopBackOff on its card, with its restarts", async () => {
    const kubeconfig = (await runCli(['kubeconfig'])).stdout.trim().replace('export KUBECONFIG=', '');
    const kubectl = kubectlWith(() => ({ ...process.env, KUBECONFIG: kubeconfig }));
    await kubectl.ok(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: { name: crash, namespace: default }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: crash, image: sidecar-lab/demo, command: [sh, -c, "exit 1"] }
`);
    await page.getByRole('tab', { name: /Topology/ }).click();
    const card = page.getByRole('article', { name: /^Pod default\/crash$/ });
    await card.locator('.chip', { hasText: 'CrashLoopBackOff' }).waitFor({ timeout: 60_000 });
    await card.getByRole('list', { name: 'Containers' }).locator('li.failed', { hasText: 'CrashLoopBackOff' }).first().waitFor();
    await page.screenshot({ path: resolve(shots, 'topology-crashloop.png') });
    await kubectl.ok(['delete', 'pod', 'crash', '--grace-period=0', '--force']);
    await card.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('opens the cluster shell from the keyboard: kubectl, istioctl and sidecar-lab there talk to the lab', async () => {
    await page.getByRole('tab', { name: /Terminal/ }).click();
    const button = page.getByRole('button', { name: 'Cluster shell' });
    await button.focus();
    await page.keyboard.press('Enter');
    const rows = page.locator('[aria-label="Terminal"]:not(.hidden) .xterm-rows');
    await page.getByRole('tab', { name: 'cluster shell' }).waitFor();
    await rows.getByText(/point at lab interception/).first().waitFor({ timeout: 20_000 });
    await typeInTerminal('kubectl get pods -l app=sleep -o name');
    await rows.getByText(/^pod\/sleep-/).first().waitFor({ timeout: 20_000 });
    await typeInTerminal('istioctl version --remote=false');
    await rows.getByText(/^1\.\d+\.\d+\s*$/).first().waitFor({ timeout: 30_000 });
    await typeInTerminal('sidecar-lab status | grep -c " Running "');
    await rows.getByText(/^[1-9]\d*\s*$/).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: resolve(shots, 'cluster-shell.png') });
  });
});

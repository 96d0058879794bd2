// Istio CNI mode from a customer's injected pods: the rules precede the app's init container, whose call fails until uid 1337.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, repoRoot, runCli } from './helpers/cli';
import { dockerExec, labResources } from './helpers/docker';
import { kubectlWith } from '../helpers/kubectl';

const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/integration', name);

let up = '';
let env: NodeJS.ProcessEnv;
const k = kubectlWith(() => env);
beforeAll(async () => {
  await runCli(['down', '--all']);
  const r = await cliOk(['up', fixture('customer-cni.yaml')]);
  up = r.stdout + r.stderr;
  env = { ...process.env, KUBECONFIG: (await cliOk(['kubeconfig'])).stdout.trim().replace('export KUBECONFIG=', '') };
}, 600_000);

afterAll(async () => {
  await runCli(['down', '--all']);
  expect(await labResources()).toEqual([]);
});

describe('an init container under Istio CNI', () => {
  it('runs after the rules, so its call meets no proxy: the pod stays in its init phase, and up still succeeds', async () => {
    expect(up).toMatch(/default\/shop-broken: istio-cni applied the rules before the init containers/);
    expect(up).toMatch(/default\/shop-broken: init container fetch-config exited 7 again: Init:CrashLoopBackOff/);
    const log = (await cliOk(['logs', 'shop-broken', '-c', 'fetch-config'])).stdout + '';
    const err = (await runCli(['logs', 'shop-broken', '-c', 'fetch-config'])).stderr;
    expect(log + err).toMatch(/Failed to connect to catalog port 8080|Couldn't connect to server/);
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as {
      pods: { name: string; ready: boolean; containers: { name: string; role: string; state: string; dockerName: string }[] }[];
    };
    const broken = status.pods.find((p) => p.name === 'shop-broken');
    expect(broken?.ready).toBe(false);
    // The app is in the pod's spec, as the API lists it, but never started: no container on the engine.
    expect(broken?.containers.find((c) => c.name === 'shop')).toMatchObject({ state: 'waiting', dockerName: '' });
    expect(broken?.containers.map((c) => c.name)).not.toContain('istio-init');
  });

  it('reads back as a cluster shows it: istio-validation completed, the app init container in Init:CrashLoopBackOff', async () => {
    // The kubelet restarts fetch-config at once after `up`, then holds it back 10 s: CrashLoopBackOff.
    const deadline = Date.now() + 40_000;
    let row = '';
    while (Date.now() < deadline && !/Init:CrashLoopBackOff/.test(row)) {
      row = (await k.run(['get', 'pod', 'shop-broken', '--no-headers'])).stdout;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(row).toMatch(/^shop-broken\s+0\/2\s+Init:CrashLoopBackOff\s+\d+/);
    const pod = JSON.parse(await k.ok(['get', 'pod', 'shop-broken', '-o', 'json'])) as {
      status: { initContainerStatuses: { name: string; state: Record<string, { exitCode?: number; reason?: string }> }[] };
    };
    const [validation, fetch] = pod.status.initContainerStatuses;
    expect(validation).toMatchObject({ name: 'istio-validation', state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(fetch.name).toBe('fetch-config');
    expect(await k.ok(['get', 'pod', 'shop-fixed', '--no-headers'])).toMatch(/^shop-fixed\s+2\/2\s+Running\s+0/);
  });

  it('succeeds with Istio’s fix: the init container runs as uid 1337, and the pod comes up', async () => {
    expect(up).toMatch(/default\/shop-fixed: init container fetch-config completed/);
    expect((await cliOk(['logs', 'shop-fixed', '-c', 'fetch-config'])).stdout).toMatch(/^200$/m);
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as { pods: { name: string; ready: boolean }[] };
    expect(status.pods.find((p) => p.name === 'shop-fixed')?.ready).toBe(true);
  });
});

// The orders pod written through kubectl: the uid-1337 fix, injected by the lab's webhook in CNI mode.
const ordersFixed = `apiVersion: v1
kind: Pod
metadata: { name: orders-fixed, namespace: orders }
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: fetch-config
    image: registry.acme.corp/base/busybox:1.36
    command: ["sh", "-c", "curl -sS -m 3 -o /dev/null -w '%{http_code}\\n' http://catalog.default:8080/config"]
    securityContext: { runAsUser: 1337 }
  containers:
  - { name: orders, image: registry.acme.corp/orders/orders-api:2.1, command: ["sleep", "infinity"] }
`;

describe('pods the lab injects when the injector’s values say CNI', () => {
  it('on `up`: istio-cni’s rules come before the init container, whose call fails as on the cluster', async () => {
    expect(up).toMatch(/orders\/orders-broken: istio-cni applied the rules before the init containers/);
    expect(up).toMatch(/orders\/orders-broken: init container fetch-config exited 7 again: Init:CrashLoopBackOff/);
    const spec = JSON.parse(await k.ok(['get', 'pod', 'orders-broken', '-n', 'orders', '-o', 'json'])) as {
      metadata: { annotations: Record<string, string> };
      spec: { initContainers: { name: string; args?: string[] }[] };
    };
    expect(spec.spec.initContainers.map((c) => c.name)).toEqual(['fetch-config', 'istio-validation']);
    expect(spec.spec.initContainers[1].args).toContain('--skip-rule-apply');
    expect(spec.metadata.annotations).toMatchObject({
      'sidecar.istio.io/interceptionMode': 'REDIRECT',
      'traffic.sidecar.istio.io/excludeInboundPorts': '15020',
    });
  });

  it('through kubectl: the same injection, and Istio’s uid-1337 fix lets the init container through', async () => {
    await k.ok(['apply', '-f', '-'], ordersFixed);
    expect(await k.ok(['get', 'pod', 'orders-fixed', '-n', 'orders', '-o', 'jsonpath={.spec.initContainers[*].name}'])).toBe('fetch-config istio-validation');
    await k.ok(['wait', '--for=condition=Ready', 'pod/orders-fixed', '-n', 'orders', '--timeout=120s']);
    expect((await cliOk(['logs', 'orders-fixed', '-n', 'orders', '-c', 'fetch-config'])).stdout).toMatch(/^200$/m);
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as { pods: { name: string; containers: { name: string }[] }[] };
    expect(status.pods.find((p) => p.name === 'orders-fixed')?.containers.map((c) => c.name)).not.toContain('istio-init');
  });
});

describe('sidecar-lab diff of a customer’s CNI-mode pod', () => {
  it('derives istio-cni’s rules from the pod’s annotations: identical to its iptables-save, and a rule changed by hand is named', async () => {
    // What the customer sends: kubectl get pod -o yaml (istio-validation, no istio-init) and iptables-save in the pod.
    const pod = await k.ok(['get', 'pod', 'shop-broken', '-o', 'yaml']);
    const save = await dockerExec('customer-cni-default-shop-broken-tap', ['iptables-save', '-t', 'nat']);
    expect(save.code, save.out).toBe(0);
    const folder = (rules: string): string => {
      const dir = mkdtempSync(join(tmpdir(), 'sidecar-lab-cni-diff-'));
      writeFileSync(join(dir, 'pod.yaml'), pod);
      writeFileSync(join(dir, 'iptables-save.txt'), rules);
      return dir;
    };
    const same = await runCli(['diff', folder(save.out)]);
    expect(same.stderr).toMatch(/diff: default\/shop-broken: the lab's rules \(from istio-cni's plugin, from the pod's annotations and istio-proxy\) against /);
    expect(same.stdout + same.stderr).toMatch(/^IPv4: No differences/m);
    expect(same.code).toBe(0);
    // istio-cni's own default: the agent's port 15020 left out of outbound capture (istio-init has no such rule).
    expect(save.out).toMatch(/^-A ISTIO_OUTPUT -p tcp -m tcp --dport 15020 -j RETURN$/m);
    const changed = save.out.replace('-A ISTIO_OUTPUT -p tcp -m tcp --dport 15020 -j RETURN', '-A ISTIO_OUTPUT -p tcp -m tcp --dport 15021 -j RETURN');
    const differs = await runCli(['diff', folder(changed)]);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toMatch(/^ {2}- -A ISTIO_OUTPUT -p tcp (-m tcp )?--dport 15020 -j RETURN$/m);
    expect(differs.stdout).toMatch(/^ {2}\+ -A ISTIO_OUTPUT -p tcp (-m tcp )?--dport 15021 -j RETURN$/m);
  });
});

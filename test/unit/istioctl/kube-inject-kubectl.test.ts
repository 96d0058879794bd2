// `sidecar-lab istioctl kube-inject -f - | kubectl apply --dry-run=client -f -` with Debian's real kubectl 1.20.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const KUBECTL = '/usr/bin/kubectl';

function run(cmd: string, args: string[], input: string, env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const p = spawn(cmd, args, { env, cwd: ROOT });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.end(input);
  });
}

/**
 * Even with --dry-run=client, kubectl apply asks an API server's discovery which resource a kind
 * is and whether the object exists. This loopback server answers only that: the built-in groups'
 * resource lists, and 404 for every object, so kubectl decides "created (dry run)" by itself.
 */
const RESOURCES: Record<string, [string, string][]> = {
  '/api/v1': [
    ['pods', 'Pod'],
    ['services', 'Service'],
    ['replicationcontrollers', 'ReplicationController'],
    ['configmaps', 'ConfigMap'],
  ],
  '/apis/apps/v1': [
    ['deployments', 'Deployment'],
    ['statefulsets', 'StatefulSet'],
    ['daemonsets', 'DaemonSet'],
    ['replicasets', 'ReplicaSet'],
  ],
  '/apis/batch/v1': [
    ['jobs', 'Job'],
    ['cronjobs', 'CronJob'],
  ],
};
const seen: string[] = [];
let server: Server;
let kubeconfig: string;

function discovery(url: string): unknown {
  if (url === '/api')
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (url === '/apis') {
    const group = (name: string) => ({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('apps'), group('batch')] };
  }
  const list = RESOURCES[url];
  if (!list) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: url === '/api/v1' ? 'v1' : url.slice('/apis/'.length),
    resources: list.map(([name, kind]) => ({
      name,
      singularName: '',
      namespaced: true,
      kind,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = (req.url ?? '').split('?')[0];
    seen.push(`${req.method} ${url}`);
    const body = discovery(url);
    res.setHeader('Content-Type', 'application/json');
    if (body !== undefined) {
      res.end(JSON.stringify(body));
      return;
    }
    res.statusCode = 404;
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `${url} not found`,
        reason: 'NotFound',
        code: 404,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-inject-kubectl-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: stub\n  cluster: {server: "http://127.0.0.1:${port}"}\ncontexts:\n- name: stub\n  context: {cluster: stub, namespace: default}\ncurrent-context: stub\nusers: []\n`,
  );
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const DEPLOYMENT = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations:
        traffic.sidecar.istio.io/excludeOutboundIPRanges: "10.96.0.1/32"
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
        readinessProbe:
          httpGet: {path: /, port: 80}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: tick, image: busybox}]
`;

describe('kube-inject | kubectl', () => {
  it('kubectl 1.20 applies (client dry run) and decodes into its Go types what kube-inject -f - prints', async () => {
    const injected = await run(
      process.execPath,
      ['bin/sidecar-lab.mjs', 'istioctl', 'kube-inject', '-f', '-'],
      DEPLOYMENT,
    );
    expect(injected.code, injected.err).toBe(0);
    expect(injected.out).toContain('name: istio-proxy');
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const applied = await run(
      KUBECTL,
      ['apply', '--dry-run=client', '--validate=false', '-f', '-'],
      injected.out,
      env,
    );
    expect(applied.err).toBe('');
    expect(applied.out).toBe(
      'service/web created (dry run)\ndeployment.apps/web created (dry run)\ncronjob.batch/tick created (dry run)\n',
    );
    expect(applied.code).toBe(0);
    // kubectl looked each object up and sent nothing else: the dry run stayed on the client.
    expect(seen.filter((s) => !s.startsWith('GET '))).toEqual([]);
    // Typed decoding (every field of the right Go type), still without a server. kubectl 1.20's
    // scheme has CronJob only in batch/v1beta1 (batch/v1 came in 1.21), and `set env` takes only
    // objects with a pod template, so the injected Deployment is checked.
    const deployment = injected.out.split(/^---\n/m)[1];
    const typed = await run(
      KUBECTL,
      ['set', 'env', '--local', '-f', '-', '-o', 'name', 'CHECKED=yes'],
      deployment,
      { ...env, KUBECONFIG: '/dev/null' },
    );
    expect(typed.err).toBe('');
    expect(typed.out).toBe('deployment.apps/web\n');
  }, 60_000);
});

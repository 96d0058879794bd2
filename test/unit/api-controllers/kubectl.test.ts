// Debian's real kubectl (1.20) against the lab's KubeApiServer on loopback, with its admission chain and the workload controllers, no containers: create, scale, get, rollout status and restart, delete.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../../src-main/lab/api/admission';
import { apiPodClient, startWorkloadControllers, type WorkloadControllers } from '../../../src-main/lab/api/controllers';
import { K } from '../../../src-main/lab/api/kinds';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import type { ResourceContext } from '../../../src-main/lab/api/resource-handler';
import { labWrites } from '../../../src-main/lab/api/lab-writes';
import { podAdmission } from '../../../src-main/lab/api/pod-admission';
import { serviceAdmission } from '../../../src-main/lab/api/service-admission';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { finishTerminating, markReady } from './helpers';
import { namespaceLifecycle } from '../../../src-main/lab/api/namespace-lifecycle';
import { KUBECTL, kubectlWith } from '../../helpers/kubectl';
import { startLoopbackApi, type LoopbackApi } from '../../helpers/loopback-api';

const ADMIN: Identity = { user: 'sidecar-lab-admin', groups: ['system:masters', 'system:authenticated'], readOnly: false };
const TOKEN = 'test-token';

let store: ObjectStore;
let api: LoopbackApi;
let controllers: WorkloadControllers;
let ctx: ResourceContext;
/** While set, terminating pods stay (a kubelet still stopping their containers). */
let holdPods = false;

const k = kubectlWith(() => api.env);
const kubectl = k.run;

async function kubectlOk(args: string[]): Promise<string> {
  const out = await k.ok(args);
  await controllers.settle();
  return out;
}

beforeAll(async () => {
  store = new ObjectStore();
  store.create(K.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  // The lab's own admission chain (pod defaults and injection, graceful deletion, the lab's write rules).
  ctx = { store, admission: [namespaceLifecycle(store), podAdmission(store), serviceAdmission(store), labWrites] };
  // The kubelet's part: a terminating pod's containers are gone at once, so its object goes (unless the test holds them).
  store.subscribe((e) => {
    if (holdPods || e.resource !== '/pods' || e.type !== 'MODIFIED' || !e.object.metadata.deletionTimestamp) return;
    setImmediate(() => {
      if (store.get(K.pods, e.object.metadata.namespace, e.object.metadata.name)?.metadata.uid === e.object.metadata.uid) store.delete(K.pods, e.object.metadata.namespace, e.object.metadata.name);
    });
  });
  controllers = startWorkloadControllers(store, apiPodClient(ctx), () => undefined);
  api = await startLoopbackApi({
    name: 'controllers-kubectl-',
    token: TOKEN,
    store,
    authenticate: (token) => (token === TOKEN ? ADMIN : undefined),
    admission: ctx.admission,
    kubernetesVersion: () => 'v1.33.1',
  });
});

afterAll(async () => {
  controllers?.stop();
  await api?.close();
});

describe('kubectl and the workload controllers', () => {
  it('create deployment → a ReplicaSet and its pod, shown by get rs,pods', async () => {
    expect(await kubectlOk(['create', 'deployment', 'web', '--image=x'])).toBe('deployment.apps/web created\n');
    const out = await kubectlOk(['get', 'rs,pods', '-o', 'name']);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^replicaset\.apps\/web-[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    const rs = lines[0].replace('replicaset.apps/', '');
    expect(lines[1]).toMatch(new RegExp(`^pod/${rs}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
  });

  it('scale --replicas=3 through the scale subresource, listed in discovery', async () => {
    const resources = JSON.parse(await kubectlOk(['get', '--raw', '/apis/apps/v1'])) as { resources: { name: string; group?: string; version?: string; kind: string }[] };
    expect(resources.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(await kubectlOk(['scale', 'deployment', 'web', '--replicas=3'])).toBe('deployment.apps/web scaled\n');
    expect((await kubectlOk(['get', 'pods', '-o', 'name'])).trim().split('\n')).toHaveLength(3);
    const scale = JSON.parse(await kubectlOk(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale'])) as Record<string, Record<string, unknown>>;
    expect(scale.spec).toEqual({ replicas: 3 });
    expect(scale.status).toEqual({ replicas: 3, selector: 'app=web' });
    const table = await kubectlOk(['get', 'deployment', 'web']);
    expect(table).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/3\s+3\s+0\s+\S+\n$/);
  });

  it('rollout status waits for the pods to turn Ready, then says the rollout is done', { timeout: 20_000 }, async () => {
    const child: ChildProcess = spawn(KUBECTL, ['rollout', 'status', 'deployment/web'], { env: api.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const printed = async (text: string) => {
      for (let i = 0; i < 200 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain(text);
    };
    await printed('Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...');
    const [first] = store.list(K.pods);
    markReady(store, (p) => p.metadata.name === first.metadata.name);
    await controllers.settle();
    await printed('Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...');
    markReady(store);
    await controllers.settle();
    expect(await done).toBe(0);
    expect(out.trim().split('\n').at(-1)).toBe('deployment "web" successfully rolled out');
  });

  it('rollout restart → a new ReplicaSet; the old one scaled to 0 once the new pods are Ready', async () => {
    const before = (await kubectlOk(['get', 'rs', '-o', 'name'])).trim();
    expect(await kubectlOk(['rollout', 'restart', 'deployment/web'])).toBe('deployment.apps/web restarted\n');
    for (let i = 0; i < 10; i++) {
      markReady(store);
      await controllers.settle();
    }
    const sets = await kubectlOk(['get', 'rs', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas}/{.metadata.annotations.deployment\\.kubernetes\\.io/revision}{"\\n"}{end}']);
    const rows = sets.trim().split('\n').sort();
    expect(rows).toHaveLength(2);
    expect(rows).toContain(`${before.replace('replicaset.apps/', '')}=0/1`);
    expect(rows.some((r) => /=3\/2$/.test(r))).toBe(true);
    expect((await kubectl(['rollout', 'status', 'deployment/web', '--watch=false'])).stdout).toBe('deployment "web" successfully rolled out\n');
  });

  it('rollout undo brings the first ReplicaSet back as revision 3, the restarted one scaled to 0', async () => {
    expect(await kubectlOk(['rollout', 'undo', 'deployment/web'])).toBe('deployment.apps/web rolled back\n');
    for (let i = 0; i < 10; i++) {
      markReady(store);
      await controllers.settle();
    }
    const sets = await kubectlOk(['get', 'rs', '-o', 'jsonpath={range .items[*]}{.spec.replicas}/{.metadata.annotations.deployment\\.kubernetes\\.io/revision}{"\\n"}{end}']);
    expect(sets.trim().split('\n').sort()).toEqual(['0/2', '3/3']);
    expect(await kubectlOk(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).toBe('3');
  });

  it('delete deployment → its ReplicaSets and pods go', async () => {
    expect(await kubectlOk(['delete', 'deployment', 'web'])).toBe('deployment.apps "web" deleted\n');
    const r = await kubectl(['get', 'rs,pods']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No resources found in default namespace.\n');
  });

  it('minReadySeconds: a Ready pod is available only after it; rollout status and a rolling update (set image) wait for it', { timeout: 20_000 }, async () => {
    const file = path.join(path.dirname(api.env.KUBECONFIG!), 'slow.yaml');
    writeFileSync(
      file,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: slow}\nspec:\n  minReadySeconds: 2\n  selector: {matchLabels: {app: slow}}\n  template:\n    metadata: {labels: {app: slow}}\n    spec: {containers: [{name: app, image: x}]}\n',
    );
    await kubectlOk(['apply', '-f', file]);
    const slow = (p: KubeObject): boolean => p.metadata.labels?.app === 'slow';
    const status = async (): Promise<string> =>
      kubectlOk(['get', 'deployment', 'slow', '-o', 'jsonpath={.status.readyReplicas}/{.status.availableReplicas} {.status.conditions[?(@.type=="Available")].status}']);
    const waitFor = async (want: string): Promise<void> => {
      for (let i = 0; i < 100 && (await status()) !== want; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await status()).toBe(want);
    };
    markReady(store, slow);
    await controllers.settle();
    expect(await status()).toBe('1/ False');
    expect((await kubectl(['rollout', 'status', 'deployment/slow', '--watch=false'])).stdout).toBe('Waiting for deployment "slow" rollout to finish: 0 of 1 updated replicas are available...\n');
    // The controller looks again when the 2 s are up: no store event says so.
    await waitFor('1/1 True');
    expect((await kubectl(['rollout', 'status', 'deployment/slow', '--watch=false'])).stdout).toBe('deployment "slow" successfully rolled out\n');

    expect(await kubectlOk(['set', 'image', 'deployment/slow', 'app=y'])).toBe('deployment.apps/slow image updated\n');
    for (let i = 0; i < 5; i++) {
      markReady(store, slow);
      await controllers.settle();
    }
    const sets = async (): Promise<string> => (await kubectlOk(['get', 'rs', '-l', 'app=slow', '-o', 'jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.spec.replicas} {end}'])).trim().split(' ').sort().join(' ');
    // The new pod is Ready, not yet available: the old one stays.
    expect(await sets()).toBe('x=1 y=1');
    for (let i = 0; i < 50 && (await sets()) !== 'x=0 y=1'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await sets()).toBe('x=0 y=1');
    await kubectlOk(['delete', 'deployment', 'slow']);
  });

  it('a Deployment whose selector does not match its template is refused with 422 naming the field, and makes nothing', async () => {
    const file = path.join(path.dirname(api.env.KUBECONFIG!), 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec:\n  selector: {matchLabels: {app: bad}}\n  template:\n    metadata: {labels: {app: other}}\n    spec: {containers: [{name: x, image: x}]}\n',
    );
    const r = await kubectl(['create', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`');
    expect((await kubectl(['get', 'deployment', 'bad'])).code).toBe(1);
  });

  it('delete --cascade=false orphans the ReplicaSet and its pods, which the ReplicaSet still scales', async () => {
    await kubectlOk(['create', 'deployment', 'keep', '--image=x']);
    const rs = (await kubectlOk(['get', 'rs', '-o', 'name'])).trim().replace('replicaset.apps/', '');
    const r = await kubectl(['delete', 'deployment', 'keep', '--cascade=false']);
    expect(r.stdout).toBe('deployment.apps "keep" deleted\n');
    await controllers.settle();
    expect(await kubectlOk(['get', 'rs', rs, '-o', 'jsonpath={.metadata.ownerReferences}'])).toBe('');
    expect(await kubectlOk(['scale', 'rs', rs, '--replicas=2'])).toBe(`replicaset.apps/${rs} scaled\n`);
    expect((await kubectlOk(['get', 'pods', '-o', 'name'])).trim().split('\n')).toHaveLength(2);
  });
});

describe('deletion propagation and namespace deletion, as the garbage collector and namespace controller do them', () => {
  const json = async (args: string[]): Promise<{ metadata: Record<string, unknown>; status?: Record<string, unknown> }> => JSON.parse(await kubectlOk([...args, '-o', 'json']));

  it('--cascade=foreground keeps the Deployment and its ReplicaSet (foregroundDeletion) until their pods are gone', async () => {
    await kubectlOk(['create', 'deployment', 'fg', '--image=x', '--replicas=2']);
    const rs = (await kubectlOk(['get', 'rs', '-l', 'app=fg', '-o', 'name'])).trim().replace('replicaset.apps/', '');
    holdPods = true;
    expect(await kubectlOk(['delete', 'deployment', 'fg', '--cascade=foreground', '--wait=false'])).toBe('deployment.apps "fg" deleted\n');
    await controllers.settle();
    const d = await json(['get', 'deployment', 'fg']);
    expect(d.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(d.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect((await json(['get', 'rs', rs])).metadata.finalizers).toEqual(['foregroundDeletion']);
    const pods = store.list(K.pods).filter((p) => p.metadata.labels?.app === 'fg');
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.metadata.deletionTimestamp)).toBe(true);
    holdPods = false;
    finishTerminating(store);
    await controllers.settle();
    expect((await kubectl(['get', 'deployment', 'fg'])).stderr).toBe('Error from server (NotFound): deployments.apps "fg" not found\n');
    expect((await kubectl(['get', 'rs', rs])).code).toBe(1);
  });

  it('--cascade=orphan: the Deployment is marked with the orphan finalizer, the collector frees its ReplicaSet, then the Deployment goes', async () => {
    await kubectlOk(['create', 'deployment', 'orph', '--image=x']);
    const rs = (await kubectlOk(['get', 'rs', '-l', 'app=orph', '-o', 'name'])).trim();
    const steps: string[] = [];
    const step = (text: string): void => void (steps.at(-1) !== text && steps.push(text));
    const off = store.subscribe((e) => {
      const m = e.object.metadata;
      if (e.resource === 'apps/deployments' && m.name === 'orph') step(`${e.type} ${JSON.stringify(m.finalizers ?? [])}${m.deletionTimestamp ? ` deleting, grace ${m.deletionGracePeriodSeconds}` : ''}`);
      if (e.resource === 'apps/replicasets' && m.labels?.app === 'orph' && !m.ownerReferences) step(`${e.type} replicaset, no owner`);
    });
    expect(await kubectlOk(['delete', 'deployment', 'orph', '--cascade=orphan'])).toBe('deployment.apps "orph" deleted\n');
    off();
    expect(steps).toEqual(['MODIFIED ["orphan"] deleting, grace 0', 'MODIFIED replicaset, no owner', 'DELETED ["orphan"] deleting, grace 0']);
    expect((await json(['get', rs])).metadata.ownerReferences).toBeUndefined();
    // The dependents keep running: the ReplicaSet still has its pod, which still names it.
    expect(await kubectlOk(['get', 'pods', '-l', 'app=orph', '-o', 'jsonpath={.items[*].metadata.ownerReferences[0].kind}'])).toBe('ReplicaSet');
    await kubectlOk(['delete', rs]);
  });

  it('delete namespace: Terminating while its pods stop, nothing new created in it, then gone with all it held', async () => {
    await kubectlOk(['create', 'namespace', 'shop']);
    await kubectlOk(['create', 'deployment', 'cart', '--image=x', '-n', 'shop']);
    await kubectlOk(['create', 'configmap', 'settings', '--from-literal=a=b', '-n', 'shop']);
    expect(await kubectlOk(['get', 'namespace', 'shop', '-o', 'jsonpath={.spec.finalizers}'])).toBe('["kubernetes"]');
    holdPods = true;
    expect(await kubectlOk(['delete', 'namespace', 'shop', '--wait=false'])).toBe('namespace "shop" deleted\n');
    await controllers.settle();
    const ns = await json(['get', 'namespace', 'shop']);
    expect(ns.status?.phase).toBe('Terminating');
    expect(ns.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect(await kubectlOk(['get', 'namespace', 'shop', '--no-headers'])).toMatch(/^shop\s+Terminating\s/);
    // The content is deleted (pods gracefully), the namespace waits for the pods.
    expect((await kubectl(['get', 'deployments,replicasets,configmaps', '-n', 'shop', '-o', 'name'])).stdout).toBe('');
    expect(store.list(K.pods, 'shop').every((p) => p.metadata.deletionTimestamp)).toBe(true);
    expect(store.list(K.pods, 'shop')).toHaveLength(1);
    const conditions = ns.status?.conditions as { type: string; status: string; message?: string }[];
    expect(conditions.find((c) => c.type === 'NamespaceContentRemaining')).toMatchObject({ status: 'True', message: 'Some resources are remaining: pods has 1 resource instances' });
    const refused = await kubectl(['create', 'configmap', 'late', '-n', 'shop']);
    expect(refused.stderr).toBe('Error from server (Forbidden): configmaps "late" is forbidden: unable to create new content in namespace shop because it is being terminated\n');
    const again = await kubectl(['delete', 'namespace', 'shop', '--wait=false']);
    expect(again.stderr).toMatch(/Error from server \(Conflict\): Operation cannot be fulfilled on namespaces "shop": The system is ensuring all content is removed from this namespace/);
    holdPods = false;
    finishTerminating(store);
    await controllers.settle();
    expect((await kubectl(['get', 'namespace', 'shop'])).stderr).toBe('Error from server (NotFound): namespaces "shop" not found\n');
    expect(store.list(K.configmaps, 'shop')).toEqual([]);
  });

  it('the immortal namespaces may not be deleted', async () => {
    const r = await kubectl(['delete', 'namespace', 'default']);
    expect(r.stderr).toBe('Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n');
    expect(await kubectlOk(['get', 'namespace', 'default', '-o', 'name'])).toBe('namespace/default\n');
  });
});

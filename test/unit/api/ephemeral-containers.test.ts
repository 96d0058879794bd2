// pods/ephemeralcontainers on the lab's KubeApiServer, no containers: Debian's kubectl 1.20 `debug` (the old EphemeralContainers kind), the strategic-merge patch of kubectl 1.22 and later, and kube-apiserver's update rules.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../../src-main/lab/api/admission';
import { ephemeralUpdateProblems, legacyClient } from '../../../src-main/lab/api/ephemeral-containers';
import { K } from '../../../src-main/lab/api/kinds';
import { labWrites } from '../../../src-main/lab/api/lab-writes';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { kubectlWith } from '../../helpers/kubectl';
import { startLoopbackApi, type LoopbackApi } from '../../helpers/loopback-api';

const ADMIN: Identity = { user: 'sidecar-lab-admin', groups: ['system:masters'], readOnly: false };
const TOKEN = 'test-token';
let store: ObjectStore;
let api: LoopbackApi;
const k = kubectlWith(() => api.env);

const pod = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'sleep', image: 'curlimages/curl' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.0' }] },
});

const specOf = (name: string): Record<string, unknown> => store.get(K.pods, 'default', name)!.spec as Record<string, unknown>;
const ephemeral = (name: string): Record<string, unknown>[] => (specOf(name).ephemeralContainers ?? []) as Record<string, unknown>[];

/** One request to the server as a client of the given release (its User-Agent). */
function call(method: string, url: string, body: unknown, contentType = 'application/json', userAgent = 'kubectl/v1.30.0 (linux/amd64) kubernetes/abc'): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: api.port, path: url, method, ca: api.caCert, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': contentType, 'User-Agent': userAgent } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  store = new ObjectStore();
  store.create(K.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  for (const name of ['web', 'api', 'db']) store.create(K.pods, pod(name));
  // As the lab's admission writes an injected pod: its tap already there, with no `resources`.
  store.create(K.pods, { ...pod('tapped'), spec: { ...pod('tapped').spec!, ephemeralContainers: [{ name: 'tap', image: 'sidecar-lab/tap', targetContainerName: 'istio-proxy', stdin: true, tty: true }] } });
  api = await startLoopbackApi({
    name: 'ephemeral-',
    token: TOKEN,
    store,
    authenticate: (token) => (token === TOKEN ? ADMIN : undefined),
    admission: [labWrites],
    kubernetesVersion: () => 'v1.30.0',
  });
});

afterAll(async () => {
  await api?.close();
});

describe('kubectl 1.20 debug: GET and PUT of kind EphemeralContainers', () => {
  it('adds the debug container to the pod, defaulted as kube-apiserver does', async () => {
    const r = await k.run(['debug', 'web', '--image=busybox', '--target=istio-proxy', '--container=dbg', '--', 'sh']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(ephemeral('web')).toEqual([
      {
        name: 'dbg',
        image: 'busybox',
        command: ['sh'],
        targetContainerName: 'istio-proxy',
        resources: {},
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ]);
    // A second one keeps the first: kubectl read the list back in the old kind.
    expect((await k.run(['debug', 'web', '--image=busybox:1.36', '--container=dbg2'])).code).toBe(0);
    expect(ephemeral('web').map((c) => [c.name, c.imagePullPolicy])).toEqual([
      ['dbg', 'Always'],
      ['dbg2', 'IfNotPresent'],
    ]);
  });

  it('keeps an ephemeral container already there, which kubectl sends back with its zero values', async () => {
    expect((await k.run(['debug', 'tapped', '--image=busybox', '--container=dbg'])).code).toBe(0);
    expect(ephemeral('tapped').map((c) => c.name)).toEqual(['tap', 'dbg']);
  });

  it('a name already in the pod is a 422 naming the field', async () => {
    const r = await k.run(['debug', 'web', '--image=busybox', '--container=sleep']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Pod "web" is invalid: spec.ephemeralContainers[2].name: Duplicate value: "sleep"');
  });

  it('a target that is not a container of the pod is a 422', async () => {
    const r = await k.run(['debug', 'api', '--image=busybox', '--container=x', '--target=nope']);
    expect(r.stderr).toContain('spec.ephemeralContainers[0].targetContainerName: Not found: "nope"');
    expect(ephemeral('api')).toEqual([]);
  });

  it('serves the old kind to clients before 1.22 and the Pod to later ones', async () => {
    const url = '/api/v1/namespaces/default/pods/web/ephemeralcontainers';
    const old = await call('GET', url, undefined, 'application/json', 'kubectl/v1.20.2 (linux/amd64) kubernetes/faecb19');
    expect(old.body.kind).toBe('EphemeralContainers');
    expect((old.body.ephemeralContainers as unknown[]).length).toBe(2);
    const now = await call('GET', url, undefined);
    expect(now.body.kind).toBe('Pod');
  });
});

describe('kubectl 1.22 and later: a strategic-merge patch of the Pod', () => {
  const url = '/api/v1/namespaces/default/pods/db/ephemeralcontainers';
  const strategic = 'application/strategic-merge-patch+json';

  it('adds the container, drops every other change, and answers with the Pod', async () => {
    // What CreateTwoWayMergePatch gives for `kubectl debug --profile=netadmin` (1.27+), with a change to the labels that must not stick.
    const patch = {
      metadata: { labels: { sneaky: 'yes' } },
      spec: {
        containers: [{ name: 'sleep', image: 'evil' }],
        ephemeralContainers: [{ name: 'debugger-abcde', image: 'nicolaka/netshoot', stdin: true, tty: true, targetContainerName: 'istio-proxy', securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } }, resources: {} }],
      },
    };
    const r = await call('PATCH', url, patch, strategic);
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('Pod');
    expect(ephemeral('db')).toHaveLength(1);
    expect(ephemeral('db')[0]).toMatchObject({ name: 'debugger-abcde', securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } }, terminationMessagePolicy: 'File' });
    expect(store.get(K.pods, 'default', 'db')!.metadata.labels).toBeUndefined();
    expect((specOf('db').containers as { image: string }[])[0].image).toBe('curlimages/curl');
  });

  it('an ephemeral container cannot be changed or removed (422)', async () => {
    const changed = await call('PATCH', url, { spec: { ephemeralContainers: [{ name: 'debugger-abcde', image: 'other' }] } }, strategic);
    expect(changed.status).toBe(422);
    expect(changed.body.message).toBe('Pod "db" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger-abcde" may not be changed');
    const removed = await call('PATCH', url, [{ op: 'remove', path: '/spec/ephemeralContainers/0' }], 'application/json-patch+json');
    expect(removed.status).toBe(422);
    expect(removed.body.message).toContain('existing ephemeral containers "debugger-abcde" may not be removed');
    expect(ephemeral('db')).toHaveLength(1);
  });
});

describe('validation', () => {
  it('refuses the fields an ephemeral container may not set', () => {
    const problems = ephemeralUpdateProblems(pod('x'), [{ name: 'd', image: 'i', ports: [{ containerPort: 80 }], readinessProbe: { tcpSocket: { port: 80 } }, volumeMounts: [{ name: 'v', mountPath: '/v', subPath: 's' }] }]);
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container',
    ]);
  });

  it('requires a name and an image', () => {
    expect(ephemeralUpdateProblems(pod('x'), [{}]).map((p) => p.field)).toEqual(['spec.ephemeralContainers[0].name', 'spec.ephemeralContainers[0].image']);
  });

  it("tells a client's release from its User-Agent", () => {
    expect(legacyClient('kubectl/v1.20.2 (linux/amd64) kubernetes/faecb19')).toBe(true);
    expect(legacyClient('kubectl/v1.22.0 (linux/amd64) kubernetes/abc')).toBe(false);
    expect(legacyClient(undefined)).toBe(false);
  });
});

// Kubernetes' strategic merge patch: merge keys from the Go types' patchMergeKey tags, the
// $patch, $retainKeys, $deleteFromPrimitiveList and $setElementOrder directives as
// sig-api-machinery's strategic-merge-patch.md and apimachinery's strategicpatch tests define
// them, and the bodies kubectl sends for label, annotate, set image, rollout restart and apply.
import { describe, expect, it } from 'vitest';
import { strategicMergePatch } from '../../../src-main/lab/api/patch';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'reviews', namespace: 'default', labels: { app: 'reviews' }, finalizers: ['a', 'b', 'c'] },
  spec: {
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'reviews' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'reviews:1',
            args: ['--port', '9080'],
            ports: [{ containerPort: 9080, name: 'http' }],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
          { name: 'istio-proxy', image: 'proxyv2:1' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    },
  },
});

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const podSpec = (o: Obj): Obj => o.spec.template.spec;

describe('lists merged by their patchMergeKey', () => {
  it('adds a container by name instead of replacing the list (the document\'s first example)', () => {
    const out = strategicMergePatch({ spec: { containers: [{ name: 'nginx', image: 'nginx-1.0' }] } }, { spec: { containers: [{ name: 'log-tailer', image: 'log-tailer-1.0' }] } });
    expect(out).toEqual({ spec: { containers: [{ name: 'nginx', image: 'nginx-1.0' }, { name: 'log-tailer', image: 'log-tailer-1.0' }] } });
  });

  it('merges inside a container: ports by containerPort, env by name, volumeMounts by mountPath; other lists replace', () => {
    const out = strategicMergePatch(deployment(), {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                args: ['--port', '9081'],
                ports: [{ containerPort: 15090, name: 'http-envoy-prom' }, { containerPort: 9080, protocol: 'TCP' }],
                env: [{ name: 'B', value: '3' }],
                volumeMounts: [{ mountPath: '/tmp', name: 'tmp' }],
              },
            ],
          },
        },
      },
    });
    const app = podSpec(out).containers[0];
    expect(app.args).toEqual(['--port', '9081']);
    expect(app.ports).toEqual([
      { containerPort: 9080, name: 'http', protocol: 'TCP' },
      { containerPort: 15090, name: 'http-envoy-prom' },
    ]);
    expect(app.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
    ]);
    expect(app.volumeMounts).toEqual([
      { name: 'data', mountPath: '/data' },
      { mountPath: '/tmp', name: 'tmp' },
    ]);
    expect(podSpec(out).containers[1]).toEqual({ name: 'istio-proxy', image: 'proxyv2:1' });
  });

  it('merges a Service\'s ports by port', () => {
    const svc = { spec: { ports: [{ port: 9080, name: 'http', targetPort: 9080 }] } };
    const out = strategicMergePatch(svc, { spec: { ports: [{ port: 9080, targetPort: 8080 }, { port: 443, name: 'https' }] } });
    expect(out.spec).toEqual({ ports: [{ port: 9080, name: 'http', targetPort: 8080 }, { port: 443, name: 'https' }] });
  });

  it('merges finalizers as a set of primitives', () => {
    const out = strategicMergePatch({ metadata: { finalizers: ['a', 'b'] } }, { metadata: { finalizers: ['b', 'c'] } });
    expect(out.metadata).toEqual({ finalizers: ['a', 'b', 'c'] });
  });
});

describe('$patch', () => {
  it('replace in a list: the list is the patch\'s, without the directive', () => {
    const out = strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx-1.0' }, { $patch: 'replace' }] } } } });
    expect(podSpec(out).containers).toEqual([{ name: 'nginx', image: 'nginx-1.0' }]);
  });

  it('replace on a map: the map is the patch\'s', () => {
    const out = strategicMergePatch(deployment(), { spec: { strategy: { $patch: 'replace', type: 'Recreate' } } });
    expect((out.spec as Obj).strategy).toEqual({ type: 'Recreate' });
  });

  it('delete in a list removes the item with that merge key', () => {
    const out = strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ $patch: 'delete', name: 'istio-proxy' }] } } } });
    expect(podSpec(out).containers.map((c: Obj) => c.name)).toEqual(['app']);
  });

  // strategic-merge-patch.md: `rollingUpdate: {$patch: delete}` deletes the map, as `rollingUpdate: null` does.
  it('delete on a map removes the field, the same as null', () => {
    const byDirective = strategicMergePatch(deployment(), { spec: { strategy: { rollingUpdate: { $patch: 'delete' } } } });
    const byNull = strategicMergePatch(deployment(), { spec: { strategy: { rollingUpdate: null } } });
    expect((byDirective.spec as Obj).strategy).toEqual({ type: 'RollingUpdate' });
    expect(byDirective).toEqual(byNull);
  });
});

describe('$deleteFromPrimitiveList, $setElementOrder, $retainKeys', () => {
  it('$deleteFromPrimitiveList/finalizers deletes those values (the document\'s example)', () => {
    const out = strategicMergePatch(deployment(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'c'] } });
    expect((out.metadata as Obj).finalizers).toEqual(['a']);
  });

  it('$setElementOrder/finalizers reorders a list of primitives (the document\'s example)', () => {
    const out = strategicMergePatch(deployment(), { metadata: { '$setElementOrder/finalizers': ['b', 'c', 'a'] } });
    expect((out.metadata as Obj).finalizers).toEqual(['b', 'c', 'a']);
  });

  it('$setElementOrder/containers reorders a list of maps by merge key (the document\'s example)', () => {
    const out = strategicMergePatch(deployment(), { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'istio-proxy' }, { name: 'app' }] } } } });
    expect(podSpec(out).containers.map((c: Obj) => c.name)).toEqual(['istio-proxy', 'app']);
    expect(podSpec(out).containers[1].image).toBe('reviews:1');
  });

  // patch.go normalizeElementOrder/mergeSortedSlice: the items $setElementOrder names take its
  // order, and the live object's other items keep their place relative to them.
  it('$setElementOrder keeps a server-only container where it was (kubectl apply after injection put istio-proxy first)', () => {
    const live = { spec: { containers: [{ name: 'istio-proxy', image: 'proxyv2:1' }, { name: 'app', image: 'reviews:1' }] } };
    const out = strategicMergePatch(live, { spec: { '$setElementOrder/containers': [{ name: 'app' }], containers: [{ name: 'app', image: 'reviews:2' }] } });
    expect((out.spec as Obj).containers).toEqual([
      { name: 'istio-proxy', image: 'proxyv2:1' },
      { name: 'app', image: 'reviews:2' },
    ]);
  });

  it('$setElementOrder interleaves server-only items by the live order', () => {
    const live = { metadata: { finalizers: ['a', 'b', 'c'] } };
    expect(strategicMergePatch(live, { metadata: { '$setElementOrder/finalizers': ['c', 'a'] } }).metadata).toEqual({ finalizers: ['b', 'c', 'a'] });
    // A new item the patch adds has no live place: it comes before the server-only item it meets.
    const containers = { spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] } };
    const added = strategicMergePatch(containers, { spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'logger' }], containers: [{ name: 'logger' }] } });
    expect((added.spec as Obj).containers.map((c: Obj) => c.name)).toEqual(['app', 'logger', 'istio-proxy']);
  });

  it('$retainKeys clears the fields it does not name (the document\'s union example)', () => {
    const out = strategicMergePatch({ union: { foo: 'a', other: 'b' } }, { union: { $retainKeys: ['another', 'bar'], another: 'd', bar: 'c' } });
    expect(out).toEqual({ union: { another: 'd', bar: 'c' } });
  });

  it('$retainKeys on a Deployment strategy switched to Recreate drops rollingUpdate (what kubectl apply sends)', () => {
    const out = strategicMergePatch(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    expect((out.spec as Obj).strategy).toEqual({ type: 'Recreate' });
  });

  it('$retainKeys on a volume switches its source', () => {
    const out = strategicMergePatch(deployment(), {
      spec: { template: { spec: { volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, name: 'data' }] } } },
    });
    expect(podSpec(out).volumes).toEqual([{ name: 'data', configMap: { name: 'cfg' } }]);
  });
});

describe('the patches kubectl sends', () => {
  it('kubectl label tier=web, then tier-', () => {
    const labelled = strategicMergePatch(deployment(), { metadata: { labels: { tier: 'web' } } });
    expect((labelled.metadata as Obj).labels).toEqual({ app: 'reviews', tier: 'web' });
    const unlabelled = strategicMergePatch(labelled, { metadata: { labels: { tier: null } } });
    expect((unlabelled.metadata as Obj).labels).toEqual({ app: 'reviews' });
  });

  it('kubectl annotate adds an annotation to an object without any', () => {
    const out = strategicMergePatch(deployment(), { metadata: { annotations: { 'sidecar.istio.io/inject': 'false' } } });
    expect((out.metadata as Obj).annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
  });

  it('kubectl set image app=reviews:2 changes one image, keeps order and everything else', () => {
    const out = strategicMergePatch(deployment(), {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'istio-proxy' }], containers: [{ image: 'reviews:2', name: 'app' }] } } },
    });
    const want = deployment();
    want.spec.template.spec.containers[0].image = 'reviews:2';
    expect(out).toEqual(want);
  });

  it('kubectl rollout restart sets kubectl.kubernetes.io/restartedAt on the pod template', () => {
    const out = strategicMergePatch(deployment(), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T10:00:00Z' } } } } });
    expect((out.spec as Obj).template.metadata).toEqual({ labels: { app: 'reviews' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T10:00:00Z' } });
  });

  it('kubectl apply: a three-way patch that changes, deletes and reorders env, and records last-applied', () => {
    const out = strategicMergePatch(deployment(), {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}\n' } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'istio-proxy' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'C' }, { name: 'A' }],
                env: [{ $patch: 'delete', name: 'B' }, { name: 'C', value: '3' }],
                name: 'app',
              },
            ],
          },
        },
      },
    });
    expect((out.metadata as Obj).annotations).toEqual({ 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}\n' });
    expect((out.spec as Obj).replicas).toBe(3);
    expect(podSpec(out).containers[0].env).toEqual([
      { name: 'C', value: '3' },
      { name: 'A', value: '1' },
    ]);
    expect(podSpec(out).containers[0].image).toBe('reviews:1');
  });

  it('does not change the object it was given', () => {
    const original = deployment();
    strategicMergePatch(original, { spec: { template: { spec: { containers: [{ name: 'app', image: 'x' }] } } } });
    expect(original).toEqual(deployment());
  });
});

// What `export` writes for one stored object: the author's text where kubectl recorded it, else the object without what the API server, the node and the lab added.
import { describe, expect, it } from 'vitest';
import { authored } from '../../../src-main/lab/dump/export';
import type { KubeObject } from '../../../src-main/lab/api/objects';

const storedPod = (annotations: Record<string, string> = {}): KubeObject => ({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '42', creationTimestamp: '2026-12-07T10:00:00Z', annotations: { 'sidecar.istio.io/status': '{}', ...annotations } },
  spec: {
    nodeName: 'node',
    containers: [
      { name: 'web', image: 'shop/web:1', volumeMounts: [{ name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }, { name: 'data', mountPath: '/data' }] },
      { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.0' },
    ],
    ephemeralContainers: [{ name: 'tap', image: 'sidecar-lab/tap' }],
    volumes: [{ name: 'kube-api-access-x7k2p', projected: {} }, { name: 'data', emptyDir: {} }],
  },
  status: { phase: 'Running' },
});

describe('export of one object', () => {
  it("writes a pod as kubectl apply recorded it, in manifest order, without kubectl's empty annotations", () => {
    const applied = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { annotations: {}, name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: 'shop/web:1' }] } });
    const out = authored(storedPod({ 'kubectl.kubernetes.io/last-applied-configuration': applied }));
    expect(out).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: 'shop/web:1' }] } });
    expect(Object.keys(out)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it("keeps Istio's injection of a pod nobody applied, and drops the node, the token volume, the lab's tap and the status", () => {
    const out = authored(storedPod()) as { metadata: Record<string, unknown>; spec: Record<string, unknown>; status?: unknown };
    expect(out.status).toBeUndefined();
    expect(out.metadata).toEqual({ name: 'web', namespace: 'shop', annotations: { 'sidecar.istio.io/status': '{}' } });
    expect(out.spec).toEqual({
      containers: [
        { name: 'web', image: 'shop/web:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
        { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.0' },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    });
  });

  it('drops a namespace spec (finalizers the API server adds) and keeps its labels', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', uid: 'u', labels: { 'istio-injection': 'enabled' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    expect(authored(ns)).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } });
  });
});

// Which writes the running lab takes through its API: everything its controllers follow; pod updates as Kubernetes limits them.
import { describe, expect, it } from 'vitest';
import type { AdmissionRequest } from '../../../src-main/lab/api/admission';
import { K } from '../../../src-main/lab/api/kinds';
import { labWrites } from '../../../src-main/lab/api/lab-writes';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import type { ApiError } from '../../../src-main/lab/api/status';

const admin = { user: 'admin', groups: [], readOnly: false };
const deployment = (replicas: number, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'sleep', namespace: 'default', labels, resourceVersion: '7' },
  spec: { replicas },
});
const pod = (image: string, args: string[] = [], extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default' },
  spec: { containers: [{ name: 'web', image, args }], ...extra },
});

function request(over: Partial<AdmissionRequest>): AdmissionRequest {
  return { operation: 'UPDATE', kind: K.deployments, namespace: 'default', name: 'sleep', dryRun: false, user: admin, ...over };
}

function refusal(r: AdmissionRequest): ApiError | undefined {
  try {
    void labWrites(r);
    return undefined;
  } catch (err) {
    return err as ApiError;
  }
}

describe('labWrites', () => {
  it('lets workloads, pods and Istio config change: controllers follow them', () => {
    expect(refusal(request({ object: deployment(2), oldObject: deployment(1) }))).toBeUndefined();
    expect(refusal(request({ operation: 'CREATE', kind: K.pods, object: pod('demo') }))).toBeUndefined();
    expect(refusal(request({ operation: 'DELETE', kind: K.pods, oldObject: pod('demo') }))).toBeUndefined();
    const mesh = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'x' } };
    expect(refusal(request({ kind: K.configmaps, namespace: 'istio-system', name: 'istio', object: mesh, oldObject: { ...mesh, data: { mesh: 'y' } } }))).toBeUndefined();
  });

  it("refuses a pod update Kubernetes forbids, with its message", () => {
    const err = refusal(request({ kind: K.pods, name: 'web', object: pod('demo', ['--port', '81']), oldObject: pod('demo', ['--port', '80']) }));
    expect(err?.code).toBe(422);
    expect(err?.message).toContain('Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`');
  });

  it('lets a pod change what Kubernetes lets change, and labels', () => {
    expect(refusal(request({ kind: K.pods, name: 'web', object: pod('demo', [], { activeDeadlineSeconds: 5 }), oldObject: pod('demo') }))).toBeUndefined();
    const labelled = { ...pod('demo'), metadata: { name: 'web', namespace: 'default', labels: { a: 'b' } } };
    expect(refusal(request({ kind: K.pods, name: 'web', object: labelled, oldObject: pod('demo') }))).toBeUndefined();
  });

  it('takes a new image: the kubelet recreates the container with it', () => {
    expect(refusal(request({ kind: K.pods, name: 'web', object: pod('other'), oldObject: pod('demo') }))).toBeUndefined();
  });

  it('leaves namespace deletion to NamespaceLifecycle and the namespace controller', () => {
    expect(refusal(request({ operation: 'DELETE', kind: K.namespaces, namespace: undefined, name: 'shop' }))).toBeUndefined();
  });
});

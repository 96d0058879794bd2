// Which writes the running lab takes through its API before controllers exist.
import { describe, expect, it } from 'vitest';
import type { AdmissionRequest } from '../../../src-main/lab/api/admission';
import { K } from '../../../src-main/lab/api/kinds';
import { labWrites } from '../../../src-main/lab/api/lab-writes';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { ApiError } from '../../../src-main/lab/api/status';

const admin = { user: 'admin', groups: [], readOnly: false };
const deployment = (replicas: number, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'sleep', namespace: 'default', labels, resourceVersion: '7' },
  spec: { replicas },
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
  it('lets labels and annotations change on any kind', () => {
    expect(refusal(request({ object: deployment(1, { tier: 'backend' }), oldObject: deployment(1) }))).toBeUndefined();
  });

  it('refuses a spec change the lab would not follow, with 405 naming what does', () => {
    const err = refusal(request({ object: deployment(2), oldObject: deployment(1) }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err!.code).toBe(405);
    expect(err!.message).toContain('deployments.apps');
    expect(err!.message).toContain('sidecar-lab apply');
  });

  it('refuses creating and deleting pods', () => {
    expect(refusal(request({ operation: 'CREATE', kind: K.pods, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } } }))?.code).toBe(405);
    expect(refusal(request({ operation: 'DELETE', kind: K.pods, oldObject: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } } }))?.code).toBe(405);
  });

  it("stores ConfigMaps and VirtualServices as written, but not Istio's own ConfigMaps", () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'default' }, data: { a: '1' } };
    expect(refusal(request({ operation: 'CREATE', kind: K.configmaps, name: 'app', object: cm }))).toBeUndefined();
    expect(refusal(request({ operation: 'CREATE', kind: K.virtualservices, name: 'vs', object: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'vs' } } }))).toBeUndefined();
    const mesh = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'x' } };
    expect(refusal(request({ kind: K.configmaps, namespace: 'istio-system', name: 'istio', object: mesh, oldObject: { ...mesh, data: { mesh: 'y' } } }))?.code).toBe(405);
  });

  it('keeps namespaces that hold the lab\'s pods', () => {
    expect(refusal(request({ operation: 'DELETE', kind: K.namespaces, namespace: undefined, name: 'default' }))?.code).toBe(405);
  });
});

// The table of Kubernetes and Istio kinds: modelled, ignored, unknown, wrong apiVersion.
import { describe, expect, it } from 'vitest';
import { knownKinds } from '../../../src-main/lab/scenario';
import { lookupKind } from '../../../src-main/lab/scenario/kinds';

describe('lookupKind', () => {
  it('models the lab kinds', () => {
    for (const [v, k] of [
      ['v1', 'Namespace'],
      ['v1', 'Pod'],
      ['apps/v1', 'Deployment'],
      ['v1', 'Service'],
      ['v1', 'ConfigMap'],
      ['networking.istio.io/v1', 'Sidecar'],
      ['networking.istio.io/v1alpha3', 'ServiceEntry'],
      ['sidecarlab.dev/v1', 'Lab'],
      ['v1', 'List'],
    ]) {
      expect(lookupKind(v, k)).toMatchObject({ outcome: 'model', kind: k });
    }
  });

  it('accepts and ignores real kinds it does not model', () => {
    for (const [v, k] of [
      ['v1', 'ServiceAccount'],
      ['v1', 'Secret'],
      ['apps/v1', 'StatefulSet'],
      ['batch/v1', 'CronJob'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
      ['networking.k8s.io/v1', 'NetworkPolicy'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
      ['networking.istio.io/v1', 'Gateway'],
      ['gateway.networking.k8s.io/v1', 'Gateway'],
      ['security.istio.io/v1', 'AuthorizationPolicy'],
      ['networking.istio.io/v1alpha3', 'EnvoyFilter'],
    ]) {
      expect(lookupKind(v, k).outcome).toBe('ignore');
    }
  });

  it('ignores custom resources of other groups', () => {
    expect(lookupKind('cert-manager.io/v1', 'Certificate')).toEqual({
      outcome: 'ignore',
      namespaced: true,
      reason: 'the lab does not model custom resources of cert-manager.io',
    });
  });

  it('rejects unknown kinds of known groups and wrong apiVersions', () => {
    expect(lookupKind('apps/v1', 'Deploymnet')).toEqual({
      outcome: 'error',
      at: 'kind',
      message: 'unknown kind Deploymnet (apiVersion apps/v1); did you mean Deployment?',
    });
    expect(lookupKind('networking.k8s.io/v1', 'Gateway')).toEqual({
      outcome: 'error',
      at: 'apiVersion',
      message:
        'Gateway is not served by apiVersion networking.k8s.io/v1; use networking.istio.io/v1 or gateway.networking.k8s.io/v1',
    });
    expect(lookupKind('a/b/c', 'Pod')).toMatchObject({ outcome: 'error', at: 'apiVersion' });
  });

  it('publishes its table', () => {
    const kinds = knownKinds();
    expect(kinds.find((k) => k.kind === 'Deployment')).toEqual({
      kind: 'Deployment',
      apiVersions: ['apps/v1'],
      modelled: true,
    });
    expect(kinds.filter((k) => k.modelled)).toHaveLength(9);
    expect(kinds.length).toBeGreaterThan(50);
  });
});

// Debian's kubectl against the lab's API on loopback: `auth can-i` through SelfSubjectAccessReviews (admin and a pod's token) and `get crd` of Istio's CustomResourceDefinitions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, READ_ONLY_REASON } from '../../../src-main/lab/api/access-review';
import type { Identity } from '../../../src-main/lab/api/admission';
import { customResourceDefinitions, K } from '../../../src-main/lab/api/kinds';
import { ObjectStore } from '../../../src-main/lab/api/store';
import { kubectlWith } from '../../helpers/kubectl';
import { startLoopbackApi, type LoopbackApi } from '../../helpers/loopback-api';

const ADMIN: Identity = { user: 'sidecar-lab-admin', groups: ['system:masters', 'system:authenticated'], readOnly: false };
const POD: Identity = { user: 'system:serviceaccount:default:sleep', groups: ['system:serviceaccounts', 'system:authenticated'], readOnly: true };
const CREATED = '2026-12-07T19:58:00Z';

let api: LoopbackApi;
const k = kubectlWith(() => api.env);

beforeAll(async () => {
  const store = new ObjectStore();
  store.create(K.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  for (const crd of customResourceDefinitions(CREATED)) store.create(K.customresourcedefinitions, crd);
  api = await startLoopbackApi({
    name: 'access-review-',
    token: 'admin',
    store,
    authenticate: (token) => (token === 'admin' ? ADMIN : token === 'pod' ? POD : undefined),
    admission: [],
    kubernetesVersion: () => 'v1.32.5',
  });
});

afterAll(async () => {
  await api?.close();
});

describe('the lab decides as its API enforces', () => {
  it('the admin may do anything; a pod token reads, and neither writes nor opens streams', () => {
    expect(decide(ADMIN, { verb: 'create', resource: 'clusterroles' })).toEqual({ allowed: true });
    expect(decide(POD, { verb: 'list', resource: 'pods' })).toEqual({ allowed: true });
    expect(decide(POD, { verb: 'get', resource: 'pods', subresource: 'log' })).toEqual({ allowed: true });
    expect(decide(POD, { verb: 'get' })).toEqual({ allowed: true });
    expect(decide(POD, { verb: 'create', resource: 'pods' })).toEqual({ allowed: false, reason: READ_ONLY_REASON });
    expect(decide(POD, { verb: 'get', resource: 'pods', subresource: 'exec' })).toEqual({ allowed: false, reason: READ_ONLY_REASON });
    expect(decide(POD, { verb: '*', resource: 'pods' })).toEqual({ allowed: false, reason: READ_ONLY_REASON });
  });
});

describe('kubectl auth can-i: a SelfSubjectAccessReview', () => {
  it('the host kubeconfig may create pods; a pod token may list them but not create or exec', async () => {
    expect(await k.run(['auth', 'can-i', 'create', 'pods'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await k.run(['--token', 'pod', 'auth', 'can-i', 'create', 'pods'])).toMatchObject({ code: 1, stdout: `no - ${READ_ONLY_REASON}\n` });
    expect(await k.run(['--token', 'pod', 'auth', 'can-i', 'list', 'pods', '-A'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await k.run(['--token', 'pod', 'auth', 'can-i', 'create', 'pods', '--subresource', 'exec'])).toMatchObject({ code: 1 });
  });

  it('the review is echoed with its status and stores nothing; a spec without attributes is a 422 naming the field', async () => {
    const review = JSON.parse(
      await k.ok(['create', '-f', '-', '-o', 'json'], JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'create', resource: 'namespaces' } } })),
    ) as { status: unknown; spec: unknown };
    expect(review).toMatchObject({ spec: { resourceAttributes: { verb: 'create', resource: 'namespaces' } }, status: { allowed: true } });
    const bad = await k.run(['create', '-f', '-'], JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
    expect((await k.run(['get', '--raw', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'])).code).toBe(1);
  });
});

describe('kubectl get crd: the custom kinds the lab serves', () => {
  it("a real cluster's columns, NAME and CREATED AT", async () => {
    const rows = (await k.ok(['get', 'crd'])).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME');
    expect(rows).toBe(
      [
        'NAME                                   CREATED AT',
        'destinationrules.networking.istio.io   TIME',
        'labs.sidecarlab.dev                    TIME',
        'serviceentries.networking.istio.io     TIME',
        'sidecars.networking.istio.io           TIME',
        'virtualservices.networking.istio.io    TIME',
        '',
      ].join('\n'),
    );
    expect(await k.ok(['api-resources', '--api-group', 'apiextensions.k8s.io', '--no-headers'])).toMatch(/^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition\n$/);
  });

  it("as Istio's CRD declares ServiceEntry: group, names, scope, served versions, v1alpha3 stored, printer columns", async () => {
    const crd = JSON.parse(await k.ok(['get', 'crd', 'serviceentries.networking.istio.io', '-o', 'json'])) as {
      spec: { group: string; names: unknown; scope: string; versions: { name: string; served: boolean; storage: boolean; additionalPrinterColumns: { name: string; jsonPath: string }[] }[] };
      status: { storedVersions: string[]; conditions: { type: string; status: string }[] };
    };
    expect(crd.spec.group).toBe('networking.istio.io');
    expect(crd.spec.names).toEqual({ categories: ['istio-io', 'networking-istio-io'], kind: 'ServiceEntry', listKind: 'ServiceEntryList', plural: 'serviceentries', shortNames: ['se'], singular: 'serviceentry' });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1', true, false],
      ['v1alpha3', true, true],
      ['v1beta1', true, false],
    ]);
    expect(crd.spec.versions[0].additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`)).toEqual(['Hosts=.spec.hosts', 'Location=.spec.location', 'Resolution=.spec.resolution', 'Age=.metadata.creationTimestamp']);
    expect(crd.status.storedVersions).toEqual(['v1alpha3']);
    expect(crd.status.conditions.find((c) => c.type === 'Established')?.status).toBe('True');
    const lab = JSON.parse(await k.ok(['get', 'crd', 'labs.sidecarlab.dev', '-o', 'json'])) as { spec: { scope: string } };
    expect(lab.spec.scope).toBe('Cluster');
  });

  it('read-only: a delete is refused with a reason', async () => {
    const r = await k.run(['delete', 'crd', 'sidecars.networking.istio.io']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot be changed in the lab');
  });
});

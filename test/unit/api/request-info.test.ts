// URLs and methods read as kube-apiserver's RequestInfoFactory reads them
// (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go): verb, group, version,
// kind, namespace, name and subresource.
import { describe, expect, it } from 'vitest';
import { requestInfo, type RequestInfo, type ResourceRequest } from '../../../src-main/lab/api/request-info';
import { ApiError } from '../../../src-main/lab/api/status';

function info(method: string, url: string): RequestInfo {
  const u = new URL(url, 'https://127.0.0.1');
  return requestInfo(method, u.pathname, u.searchParams);
}

function resource(method: string, url: string): Omit<ResourceRequest, 'kind'> & { kind: string } {
  const got = info(method, url);
  if (got.type !== 'resource') throw new Error(`${url} is not a resource request`);
  return { ...got, kind: got.kind.kind };
}

function refused(method: string, url: string): ApiError {
  try {
    info(method, url);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error(`${method} ${url} was accepted`);
}

describe('resource requests', () => {
  it.each([
    ['GET', '/api/v1/namespaces', { verb: 'list', kind: 'Namespace' }],
    ['GET', '/api/v1/pods', { verb: 'list', kind: 'Pod' }],
    ['GET', '/api/v1/namespaces/other/pods', { verb: 'list', kind: 'Pod', namespace: 'other' }],
    ['GET', '/api/v1/namespaces/other/pods/foo', { verb: 'get', kind: 'Pod', namespace: 'other', name: 'foo' }],
    ['HEAD', '/api/v1/namespaces/other/pods/foo', { verb: 'get', kind: 'Pod', namespace: 'other', name: 'foo' }],
    ['POST', '/api/v1/namespaces/other/pods', { verb: 'create', kind: 'Pod', namespace: 'other' }],
    ['PUT', '/api/v1/namespaces/other/pods/foo', { verb: 'update', kind: 'Pod', namespace: 'other', name: 'foo' }],
    ['PATCH', '/api/v1/namespaces/other/pods/foo', { verb: 'patch', kind: 'Pod', namespace: 'other', name: 'foo' }],
    ['DELETE', '/api/v1/namespaces/other/pods/foo', { verb: 'delete', kind: 'Pod', namespace: 'other', name: 'foo' }],
    ['DELETE', '/api/v1/namespaces/other/pods', { verb: 'deletecollection', kind: 'Pod', namespace: 'other' }],
    ['GET', '/api/v1/namespaces/other/pods/foo/status', { verb: 'get', kind: 'Pod', namespace: 'other', name: 'foo', subresource: 'status' }],
    ['GET', '/api/v1/namespaces/other/pods/foo/log', { verb: 'get', kind: 'Pod', namespace: 'other', name: 'foo', subresource: 'log' }],
    ['GET', '/apis/apps/v1/namespaces/default/deployments/reviews', { verb: 'get', kind: 'Deployment', group: 'apps', version: 'v1', namespace: 'default', name: 'reviews' }],
    ['GET', '/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices', { verb: 'list', kind: 'VirtualService', group: 'networking.istio.io', version: 'v1beta1', namespace: 'default' }],
    ['GET', '/api/v1/nodes/lab', { verb: 'get', kind: 'Node', name: 'lab' }],
    // A name with a character that the URL escapes.
    ['GET', '/api/v1/namespaces/default/configmaps/istio%2Dca', { verb: 'get', kind: 'ConfigMap', namespace: 'default', name: 'istio-ca' }],
  ])('%s %s', (method, url, want) => {
    expect(resource(method, url)).toMatchObject(want);
  });

  it('leaves namespace and name out when the URL has none', () => {
    const got = resource('GET', '/api/v1/pods');
    expect(got).not.toHaveProperty('namespace');
    expect(got).not.toHaveProperty('name');
    expect(got).not.toHaveProperty('subresource');
    expect(got).toMatchObject({ group: '', version: 'v1' });
  });
});

// requestinfo.go: `namespaces/{name}` is the namespace itself, and `status` and `finalize` after it
// are the Namespace's subresources (namespaceSubresources), not resources inside it. The lab
// keeps `namespace` for the scope an object lives in, so a Namespace (cluster-scoped) has none.
describe('the namespaces resource', () => {
  it('GET /api/v1/namespaces/NAME is the Namespace NAME', () => {
    expect(resource('GET', '/api/v1/namespaces/istio-system')).toMatchObject({ verb: 'get', kind: 'Namespace', name: 'istio-system' });
    expect(resource('GET', '/api/v1/namespaces/istio-system')).not.toHaveProperty('namespace');
  });

  it('status and finalize are subresources of the Namespace', () => {
    expect(resource('PUT', '/api/v1/namespaces/other/finalize')).toMatchObject({ verb: 'update', kind: 'Namespace', name: 'other', subresource: 'finalize' });
    expect(resource('GET', '/api/v1/namespaces/other/status')).toMatchObject({ verb: 'get', kind: 'Namespace', name: 'other', subresource: 'status' });
    expect(resource('DELETE', '/api/v1/namespaces/other')).toMatchObject({ verb: 'delete', kind: 'Namespace', name: 'other' });
  });

  it('a resource inside a namespace named like a subresource is still inside it', () => {
    expect(resource('GET', '/api/v1/namespaces/status/pods')).toMatchObject({ verb: 'list', kind: 'Pod', namespace: 'status' });
  });
});

describe('watch', () => {
  it('from the /watch/ prefix and from ?watch on a collection', () => {
    expect(resource('GET', '/api/v1/watch/namespaces/other/pods')).toMatchObject({ verb: 'watch', kind: 'Pod', namespace: 'other' });
    expect(resource('GET', '/api/v1/watch/pods')).toMatchObject({ verb: 'watch', kind: 'Pod' });
    expect(resource('GET', '/api/v1/namespaces/other/pods?watch=true')).toMatchObject({ verb: 'watch', namespace: 'other' });
    expect(resource('GET', '/api/v1/namespaces/other/pods?watch=1&resourceVersion=7')).toMatchObject({ verb: 'watch' });
    expect(resource('GET', '/api/v1/namespaces/other/pods?watch=false')).toMatchObject({ verb: 'list' });
  });

  // requestinfo.go turns a get into list or watch only when there is no name: ?watch on a
  // named object is a plain get (kubectl watches one object with fieldSelector=metadata.name=…).
  it('?watch=true on a named object is a get', () => {
    expect(resource('GET', '/api/v1/namespaces/other/pods/foo?watch=true')).toMatchObject({ verb: 'get', name: 'foo' });
  });
});

describe('streaming subresources', () => {
  it.each(['exec', 'attach', 'portforward'])('%s is a connect, whatever the method', (sub) => {
    expect(resource('POST', `/api/v1/namespaces/default/pods/p/${sub}`)).toMatchObject({ verb: 'connect', subresource: sub, name: 'p' });
    expect(resource('GET', `/api/v1/namespaces/default/pods/p/${sub}`)).toMatchObject({ verb: 'connect' });
  });
});

describe('other requests', () => {
  it.each([
    ['/version', { type: 'version' }],
    ['/api', { type: 'discovery', path: ['api'] }],
    ['/api/v1', { type: 'discovery', path: ['api', 'v1'] }],
    ['/apis', { type: 'discovery', path: ['apis'] }],
    ['/apis/apps', { type: 'discovery', path: ['apis', 'apps'] }],
    ['/apis/apps/v1', { type: 'discovery', path: ['apis', 'apps', 'v1'] }],
    ['/openapi/v2', { type: 'openapi', path: '/openapi/v2' }],
  ])('GET %s', (url, want) => {
    expect(info('GET', url)).toEqual(want);
  });
});

describe('refusals', () => {
  it('an unknown resource is a 404 that says what the lab serves', () => {
    const err = refused('GET', '/api/v1/namespaces/default/secrets');
    expect(err.code).toBe(404);
    expect(err.reason).toBe('NotFound');
    expect(err.message).toMatch(/^the server could not find the requested resource/);
    expect(err.message).toContain('secrets in v1');
    expect(refused('GET', '/apis/batch/v1/jobs').message).toContain('jobs in batch/v1');
  });

  it('a known resource in a version the lab does not serve is a 404', () => {
    expect(refused('GET', '/apis/apps/v1beta1/deployments').code).toBe(404);
  });

  it('a cluster-scoped kind under a namespace is a 404', () => {
    expect(refused('GET', '/api/v1/namespaces/default/nodes').code).toBe(404);
  });

  it('a path deeper than a subresource, or outside /api and /apis, is a 404', () => {
    expect(refused('GET', '/api/v1/namespaces/default/pods/p/status/extra').code).toBe(404);
    expect(refused('GET', '/healthz/etcd').code).toBe(404);
  });

  it('an unknown method is a 405', () => {
    const err = refused('TRACE', '/api/v1/namespaces/default/pods');
    expect(err.code).toBe(405);
    expect(err.reason).toBe('MethodNotAllowed');
  });
});

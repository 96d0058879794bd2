// What a request asks for, read from its URL and method as kube-apiserver's RequestInfoFactory reads it.
import { kindByResource, type KindDescriptor, type Verb } from './kinds';
import { ApiError } from './status';

export interface ResourceRequest {
  type: 'resource';
  verb: Verb | 'connect';
  group: string;
  version: string;
  kind: KindDescriptor;
  /** Undefined: all namespaces (or a cluster-scoped kind). */
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type RequestInfo =
  | ResourceRequest
  | { type: 'discovery'; path: string[] }
  | { type: 'version' }
  | { type: 'openapi'; path: string };

const STREAMING = new Set(['exec', 'attach', 'portforward', 'proxy']);

function verbOf(method: string, named: boolean, watch: boolean, subresource?: string): Verb | 'connect' {
  if (subresource && STREAMING.has(subresource)) return 'connect';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow the method ${method}`);
  }
}

/** Unknown resources are a 404 that says what the lab serves, so nobody hunts for a typo that is not one. */
function unknownResource(group: string, version: string, resource: string): ApiError {
  const gv = group ? `${group}/${version}` : version;
  return new ApiError(
    404,
    'NotFound',
    `the server could not find the requested resource (the lab does not model ${resource} in ${gv}: \`kubectl api-resources\` lists what it serves)`,
    {},
  );
}

export function requestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'version' && parts.length === 1) return { type: 'version' };
  if (parts[0] === 'openapi' || parts[0] === 'swagger.json') return { type: 'openapi', path: pathname };
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length <= 2) return { type: 'discovery', path: parts };
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length <= 3) return { type: 'discovery', path: parts };
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
  const watchPrefixed = rest[0] === 'watch';
  if (watchPrefixed) rest = rest.slice(1);
  let namespace: string | undefined;
  // `namespaces/<ns>/<resource>…` names a namespaced resource; `namespaces/<name>` alone is the Namespace itself.
  const namespaceSubresource = rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (extra.length) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  const kind = kindByResource(group, version, resource);
  if (!kind) throw unknownResource(group, version, resource);
  if (namespace !== undefined && !kind.namespaced) throw unknownResource(group, version, resource);
  // The /watch/ prefix watches, a name or not; ?watch turns only a collection's get into a watch
  // (requestinfo.go: "if there's no name on the request … the actual verb is a list or a watch").
  const watch = watchPrefixed || (name === undefined && (query.get('watch') === 'true' || query.get('watch') === '1'));
  return {
    type: 'resource',
    verb: verbOf(method, name !== undefined, watch, subresource),
    group,
    version,
    kind,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

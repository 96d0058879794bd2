// The generic REST verbs for every kind (kube-apiserver's generic registry): get, list, watch, create, update, patch, delete.
import { metadataProblems } from './meta-validation';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdmissionPlugin, AdmissionRequest, Identity } from './admission';
import { readBody, readObject, sendJson } from './http-util';
import { apiVersionOf, K, type KindDescriptor } from './kinds';
import { clone, isRecord, type KubeObject } from './objects';
import { jsonPatch, mergePatch, patchTypeOf, strategicMergePatch } from './patch';
import type { ResourceRequest } from './request-info';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { ApiError, badRequest, forbidden, invalid, methodNotAllowed, notFound, required } from './status';
import type { ObjectStore } from './store';
import { toTable, wantsTable, type IncludeObject } from './tables';
import { serveWatch } from './watch';

export interface ResourceContext {
  store: ObjectStore;
  admission: AdmissionPlugin[];
}

/** The object as served at the requested version (Istio's kinds are one object under three versions). */
export function served(kind: KindDescriptor, version: string, obj: KubeObject): KubeObject {
  return { ...obj, apiVersion: apiVersionOf(kind, version), kind: kind.kind };
}

export function fieldValue(kind: KindDescriptor, obj: KubeObject, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata.name;
  if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
  return kind.fieldSelectors?.[field]?.(obj);
}

/** Label and field selectors from the query; an unsupported field is a 400, as for kube-apiserver. */
export function selectorFilter(kind: KindDescriptor, query: URLSearchParams): (obj: KubeObject) => boolean {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'));
  for (const f of fields) {
    if (f.field !== 'metadata.name' && f.field !== 'metadata.namespace' && !kind.fieldSelectors?.[f.field]) {
      throw badRequest(`field label not supported: ${f.field}`);
    }
  }
  return (obj) =>
    labels(obj.metadata.labels ?? {}) &&
    fields.every((f) => {
      const value = fieldValue(kind, obj, f.field) ?? '';
      return f.op === '=' ? value === f.value : value !== f.value;
    });
}

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function checkWritable(kind: KindDescriptor, verb: 'create' | 'update' | 'patch' | 'delete', user: Identity, namespace?: string): void {
  if (user.readOnly) {
    throw forbidden(user.user, verb, kind, namespace, "the lab's service-account tokens may read, not change");
  }
  if (!kind.verbs.includes(verb)) {
    throw methodNotAllowed(`${kind.resource}${kind.group ? `.${kind.group}` : ''} cannot be changed in the lab: ${kind.readOnlyReason ?? 'it is read-only'}`);
  }
}

async function admit(ctx: ResourceContext, request: AdmissionRequest): Promise<KubeObject | undefined> {
  let object = request.object;
  for (const plugin of ctx.admission) {
    const changed = await plugin({ ...request, ...(object ? { object } : {}) });
    if (changed) object = changed;
  }
  return object;
}

/** An object from a request body checked against the URL: kind, version, name and namespace. */
function bodyObject(kind: KindDescriptor, info: ResourceRequest, body: unknown): KubeObject {
  if (!isRecord(body)) throw badRequest('the request body must be a JSON object');
  const apiVersion = typeof body.apiVersion === 'string' ? body.apiVersion : apiVersionOf(kind, info.version);
  const bodyKind = typeof body.kind === 'string' ? body.kind : kind.kind;
  if (bodyKind !== kind.kind || apiVersion !== apiVersionOf(kind, info.version)) {
    throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${apiVersionOf(kind, info.version)})`);
  }
  const metadata = isRecord(body.metadata) ? body.metadata : {};
  const obj = { ...body, apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { ...metadata } } as KubeObject;
  if (kind.namespaced) {
    const ns = obj.metadata.namespace;
    if (ns && info.namespace && ns !== info.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = info.namespace ?? ns;
  } else delete obj.metadata.namespace;
  return obj;
}

function requireNamespace(ctx: ResourceContext, kind: KindDescriptor, namespace: string | undefined): void {
  if (!kind.namespaced) return;
  if (!namespace) throw badRequest('the namespace of the object is required');
  if (!ctx.store.get(K.namespaces, undefined, namespace)) throw notFound(K.namespaces, namespace);
}

let generated = 0;
/** generateName's random suffix: five characters of Kubernetes' safe alphabet. */
function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  let n = Date.now() * 1000 + generated++;
  for (let i = 0; i < 5; i++) {
    out += alphabet[n % alphabet.length];
    n = Math.floor(n / alphabet.length) + Math.floor(Math.random() * 1e6);
  }
  return out;
}

function validate(kind: KindDescriptor, obj: KubeObject, old?: KubeObject): void {
  const problems = [...metadataProblems(obj), ...(kind.validate?.(obj, old) ?? [])];
  if (!obj.metadata.name) problems.unshift(required('metadata.name', 'name or generateName is required'));
  if (problems.length) throw invalid(kind.kind, kind.group, obj.metadata.name ?? '', problems);
}

const specChanged = (kind: KindDescriptor, a: KubeObject, b: KubeObject): boolean =>
  kind.specOf ? JSON.stringify(kind.specOf(a)) !== JSON.stringify(kind.specOf(b)) : false;

export async function createObject(ctx: ResourceContext, kind: KindDescriptor, obj: KubeObject, user: Identity, dryRun = false): Promise<KubeObject> {
  checkWritable(kind, 'create', user, obj.metadata.namespace);
  requireNamespace(ctx, kind, obj.metadata.namespace);
  if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = `${obj.metadata.generateName}${suffix()}`;
  for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'deletionTimestamp'] as const) delete obj.metadata[field];
  kind.defaults?.(obj);
  validate(kind, obj);
  const admitted = (await admit(ctx, { operation: 'CREATE', kind, namespace: obj.metadata.namespace, name: obj.metadata.name, object: obj, dryRun, user })) ?? obj;
  validate(kind, admitted);
  if (dryRun) return admitted;
  return ctx.store.create(kind, admitted);
}

export async function updateObject(
  ctx: ResourceContext,
  kind: KindDescriptor,
  obj: KubeObject,
  user: Identity,
  opts: { subresource?: string; dryRun?: boolean } = {},
): Promise<KubeObject> {
  checkWritable(kind, 'update', user, obj.metadata.namespace);
  const old = ctx.store.mustGet(kind, obj.metadata.namespace, obj.metadata.name);
  let next = clone(obj);
  // Status goes through its subresource only; the main resource keeps the stored status, and vice versa.
  if (opts.subresource === 'status') next = { ...old, status: next.status, metadata: { ...old.metadata, resourceVersion: next.metadata.resourceVersion } };
  else if (kind.subresources?.status && 'status' in old) next.status = old.status;
  kind.defaults?.(next);
  validate(kind, next, old);
  const admitted =
    (await admit(ctx, {
      operation: 'UPDATE',
      kind,
      namespace: next.metadata.namespace,
      name: next.metadata.name,
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
      object: next,
      oldObject: old,
      dryRun: opts.dryRun ?? false,
      user,
    })) ?? next;
  if (opts.dryRun) return admitted;
  return ctx.store.update(kind, admitted, { specChanged: specChanged(kind, old, admitted) });
}

export async function deleteObject(
  ctx: ResourceContext,
  kind: KindDescriptor,
  namespace: string | undefined,
  name: string,
  user: Identity,
  dryRun = false,
  gracePeriodSeconds?: number,
): Promise<KubeObject> {
  checkWritable(kind, 'delete', user, namespace);
  const old = ctx.store.mustGet(kind, namespace, name);
  const decided = await admit(ctx, {
    operation: 'DELETE',
    kind,
    ...(namespace ? { namespace } : {}),
    name,
    oldObject: old,
    dryRun,
    user,
    ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
  });
  if (dryRun) return old;
  // An admission step that returns the object has taken the deletion over (graceful pod deletion).
  if (decided) return decided;
  return ctx.store.delete(kind, namespace, name);
}

function scaleOf(kind: KindDescriptor, obj: KubeObject): KubeObject {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  const selector = isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: Object.entries(selector)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(','),
    },
  };
}

async function applyPatch(req: IncomingMessage, kind: KindDescriptor, current: KubeObject): Promise<KubeObject> {
  const type = patchTypeOf(req.headers['content-type']);
  const body = (await readBody(req)).toString('utf8');
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (err) {
    throw badRequest(`the patch could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
  switch (type) {
    case 'json':
      return jsonPatch(current, patch) as KubeObject;
    case 'merge':
      return mergePatch(current, patch) as KubeObject;
    case 'strategic':
      if (kind.group.endsWith('istio.io') || kind.group === 'sidecarlab.dev') {
        throw new ApiError(415, 'UnsupportedMediaType', 'strategic merge patch is not supported for custom resources');
      }
      return strategicMergePatch(current, patch) as KubeObject;
    case 'apply':
      throw methodNotAllowed('server-side apply is not implemented by the lab: use `kubectl apply` without --server-side');
  }
}

/** One request on a resource (not the streaming subresources, which the server hands to their own handlers). */
export async function handleResource(
  ctx: ResourceContext,
  info: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  user: Identity,
): Promise<void> {
  const { kind, namespace, name, subresource } = info;
  const dryRun = query.getAll('dryRun').includes('All');
  const serve = (obj: KubeObject) => served(kind, info.version, obj);
  if (subresource && !kind.subresources?.[subresource]) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
  switch (info.verb) {
    case 'get': {
      const obj = ctx.store.mustGet(kind, namespace, name!);
      if (subresource === 'scale') return sendJson(res, 200, scaleOf(kind, obj));
      if (wantsTable(req.headers.accept) && !subresource) {
        return sendJson(res, 200, toTable(kind.printer, [serve(obj)], { resourceVersion: obj.metadata.resourceVersion ?? '', include: includeObject(query), headers: true }));
      }
      return sendJson(res, 200, serve(obj));
    }
    case 'list': {
      const filter = selectorFilter(kind, query);
      const items = ctx.store.list(kind, namespace).filter(filter).map(serve);
      const resourceVersion = String(ctx.store.resourceVersion);
      if (wantsTable(req.headers.accept)) {
        return sendJson(res, 200, toTable(kind.printer, items, { resourceVersion, include: includeObject(query), headers: true }));
      }
      // As kube-apiserver: items in a typed list carry no kind and apiVersion of their own.
      const bare = items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
      return sendJson(res, 200, { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind, info.version), metadata: { resourceVersion }, items: bare });
    }
    case 'watch':
      return serveWatch(ctx.store, kind, info.version, namespace, name, req, res, query, selectorFilter(kind, query));
    case 'create': {
      if (name) throw methodNotAllowed(`POST to a named ${kind.singular}`);
      const obj = bodyObject(kind, info, await readObject(req));
      return sendJson(res, 201, serve(await createObject(ctx, kind, obj, user, dryRun)));
    }
    case 'update': {
      const body = await readObject(req);
      if (subresource === 'scale') return sendJson(res, 200, scaleOf(kind, await setReplicas(ctx, kind, namespace, name!, body, user)));
      const obj = bodyObject(kind, info, body);
      if (obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
      return sendJson(res, 200, serve(await updateObject(ctx, kind, obj, user, { ...(subresource ? { subresource } : {}), dryRun })));
    }
    case 'patch': {
      const current = ctx.store.mustGet(kind, namespace, name!);
      if (subresource === 'scale') {
        const patched = await applyPatch(req, kind, scaleOf(kind, current));
        return sendJson(res, 200, scaleOf(kind, await setReplicas(ctx, kind, namespace, name!, patched, user)));
      }
      const patched = await applyPatch(req, kind, current);
      const next = { ...patched, apiVersion: current.apiVersion, kind: current.kind, metadata: { ...patched.metadata, name: current.metadata.name, namespace: current.metadata.namespace } };
      return sendJson(res, 200, serve(await updateObject(ctx, kind, next as KubeObject, user, { ...(subresource ? { subresource } : {}), dryRun })));
    }
    case 'delete': {
      const deleted = await deleteObject(ctx, kind, namespace, name!, user, dryRun, await gracePeriod(req, query));
      return sendJson(res, 200, serve(deleted));
    }
    case 'deletecollection':
      throw methodNotAllowed(`deleting every ${kind.singular} at once; delete them by name`);
    case 'connect':
      throw new ApiError(400, 'BadRequest', `${subresource} needs a streaming client`);
  }
}

async function setReplicas(ctx: ResourceContext, kind: KindDescriptor, namespace: string | undefined, name: string, scale: unknown, user: Identity): Promise<KubeObject> {
  const replicas = isRecord(scale) && isRecord(scale.spec) ? scale.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${String(replicas)}: must be greater than or equal to 0` }]);
  }
  const current = ctx.store.mustGet(kind, namespace, name);
  const next = { ...current, spec: { ...(isRecord(current.spec) ? current.spec : {}), replicas } };
  return updateObject(ctx, kind, next, user);
}

/** DeleteOptions' gracePeriodSeconds, from the query (`?gracePeriodSeconds=0`) or the body kubectl sends. */
async function gracePeriod(req: IncomingMessage, query: URLSearchParams): Promise<number | undefined> {
  const fromQuery = query.get('gracePeriodSeconds');
  if (fromQuery !== null) {
    const n = Number(fromQuery);
    if (!Number.isInteger(n)) throw badRequest(`gracePeriodSeconds: invalid value ${JSON.stringify(fromQuery)}: an integer is required`);
    return n;
  }
  const body = (await readBody(req)).toString('utf8').trim();
  if (!body) return undefined;
  let options: unknown;
  try {
    options = JSON.parse(body);
  } catch (err) {
    throw badRequest(`the DeleteOptions could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
  const value = isRecord(options) ? options.gracePeriodSeconds : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest('gracePeriodSeconds: an integer is required');
  return value;
}

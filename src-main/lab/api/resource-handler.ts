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
import { markForDeletion, ownsDependents } from './controllers/garbage-collector';
import { scaleOf, writeScale } from './scale';
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
  propagationPolicy?: string,
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
  // Foreground and Orphan: the owner stays, marked, until the garbage collector has deleted its dependents, or freed them.
  if ((propagationPolicy === 'Foreground' || propagationPolicy === 'Orphan') && ownsDependents(kind)) return markForDeletion(ctx.store, kind, old, propagationPolicy);
  return ctx.store.delete(kind, namespace, name);
}

/** A PATCH request's body and its kind (json, merge, strategic, apply) from its content type; 400 when it is not JSON. */
export async function readPatch(req: IncomingMessage): Promise<{ type: ReturnType<typeof patchTypeOf>; patch: unknown }> {
  const type = patchTypeOf(req.headers['content-type']);
  const body = (await readBody(req)).toString('utf8');
  try {
    return { type, patch: JSON.parse(body) as unknown };
  } catch (err) {
    throw badRequest(`the patch could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function applyPatch(req: IncomingMessage, kind: KindDescriptor, current: KubeObject): Promise<KubeObject> {
  const { type, patch } = await readPatch(req);
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
  const scaleUpdate = (obj: KubeObject) => updateObject(ctx, kind, obj, user, { subresource: 'scale', dryRun });
  if (subresource && !kind.subresources?.[subresource]) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
  switch (info.verb) {
    case 'get': {
      const obj = ctx.store.mustGet(kind, namespace, name!);
      if (subresource === 'scale') return sendJson(res, 200, scaleOf(obj));
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
      if (subresource === 'scale') return sendJson(res, 200, await writeScale(ctx.store, kind, namespace, name!, body, scaleUpdate));
      const obj = bodyObject(kind, info, body);
      if (obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
      return sendJson(res, 200, serve(await updateObject(ctx, kind, obj, user, { ...(subresource ? { subresource } : {}), dryRun })));
    }
    case 'patch': {
      const current = ctx.store.mustGet(kind, namespace, name!);
      if (subresource === 'scale') return sendJson(res, 200, await writeScale(ctx.store, kind, namespace, name!, await applyPatch(req, kind, scaleOf(current)), scaleUpdate));
      const patched = await applyPatch(req, kind, current);
      const next = { ...patched, apiVersion: current.apiVersion, kind: current.kind, metadata: { ...patched.metadata, name: current.metadata.name, namespace: current.metadata.namespace } };
      return sendJson(res, 200, serve(await updateObject(ctx, kind, next as KubeObject, user, { ...(subresource ? { subresource } : {}), dryRun })));
    }
    case 'delete': {
      const options = await deleteOptions(req, query);
      const deleted = await deleteObject(ctx, kind, namespace, name!, user, dryRun, options.gracePeriodSeconds, options.propagationPolicy);
      return sendJson(res, 200, serve(deleted));
    }
    case 'deletecollection':
      throw methodNotAllowed(`deleting every ${kind.singular} at once; delete them by name`);
    case 'connect':
      throw new ApiError(400, 'BadRequest', `${subresource} needs a streaming client`);
  }
}

/**
 * DeleteOptions, from the query (`?gracePeriodSeconds=0`, `?propagationPolicy=Orphan`) or the body
 * kubectl sends: the grace period, and the propagation policy (`orphanDependents: true` is the old
 * spelling of Orphan).
 */
async function deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<{ gracePeriodSeconds?: number; propagationPolicy?: string }> {
  const text = (await readBody(req)).toString('utf8').trim();
  let options: unknown = {};
  try {
    if (text) options = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the DeleteOptions could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
  const body = isRecord(options) ? options : {};
  let gracePeriodSeconds: number | undefined;
  const fromQuery = query.get('gracePeriodSeconds');
  if (fromQuery !== null) {
    gracePeriodSeconds = Number(fromQuery);
    if (!Number.isInteger(gracePeriodSeconds)) throw badRequest(`gracePeriodSeconds: invalid value ${JSON.stringify(fromQuery)}: an integer is required`);
  } else if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
    if (typeof body.gracePeriodSeconds !== 'number' || !Number.isInteger(body.gracePeriodSeconds)) throw badRequest('gracePeriodSeconds: an integer is required');
    gracePeriodSeconds = body.gracePeriodSeconds;
  }
  const propagationPolicy =
    query.get('propagationPolicy') ?? (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : body.orphanDependents === true ? 'Orphan' : undefined);
  if (propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(propagationPolicy)) {
    throw invalid('DeleteOptions', '', '', [
      { field: 'propagationPolicy', reason: 'FieldValueNotSupported', message: `Unsupported value: "${propagationPolicy}": supported values: "Foreground", "Background", "Orphan"` },
    ]);
  }
  return { ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}), ...(propagationPolicy !== undefined ? { propagationPolicy } : {}) };
}

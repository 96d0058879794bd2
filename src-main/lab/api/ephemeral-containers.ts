// The pods/ephemeralcontainers subresource as kube-apiserver serves it: both wire forms kubectl uses (EphemeralContainers before 1.22, Pod since), the update rules and the validation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from './admission';
import { readObject, sendJson } from './http-util';
import { K } from './kinds';
import { clone, isRecord, type KubeObject } from './objects';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch';
import type { ResourceRequest } from './request-info';
import { readPatch, served, updateObject, type ResourceContext } from './resource-handler';
import { ApiError, badRequest, forbiddenField, invalid, invalidValue, methodNotAllowed, required, type FieldProblem } from './status';

type Container = Record<string, unknown>;

const list = (value: unknown): Container[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const specOf = (pod: KubeObject): Record<string, unknown> => (isRecord(pod.spec) ? pod.spec : {});

/**
 * Whether the client is older than Kubernetes 1.22, whose ephemeralcontainers subresource spoke
 * kind EphemeralContainers (kubectl 1.20 reads it, appends, and PUTs it back). A request carries
 * no version of the subresource, so the client's release in its User-Agent decides, as
 * `kubectl/v1.20.2 (linux/amd64) kubernetes/faecb19` says it.
 */
export function legacyClient(userAgent: string | undefined): boolean {
  const m = /^[^/\s]+\/v1\.(\d+)\./.exec(userAgent ?? '');
  return m !== null && Number(m[1]) < 22;
}

/** The pod's ephemeral containers as the pre-1.22 subresource served them (core/v1 EphemeralContainers). */
export function ephemeralContainersView(pod: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = pod.metadata;
  return {
    apiVersion: 'v1',
    kind: 'EphemeralContainers',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    ephemeralContainers: clone(list(specOf(pod).ephemeralContainers)),
  };
}

/** kube-apiserver's defaults for a container (SetDefaults_Container): the pull policy follows the tag. */
export function defaultEphemeral(c: Container): Container {
  const out = { ...c };
  if (typeof out.image === 'string' && out.imagePullPolicy === undefined) {
    const tag = /:([^:/@]+)$/.exec(out.image)?.[1];
    out.imagePullPolicy = !out.image.includes('@') && (tag === undefined || tag === 'latest') ? 'Always' : 'IfNotPresent';
  }
  out.terminationMessagePath ??= '/dev/termination-log';
  out.terminationMessagePolicy ??= 'File';
  return out;
}

/** EphemeralContainerCommon fields an ephemeral container may not set (validateFieldAllowList). */
const NOT_ALLOWED = ['ports', 'resources', 'resizePolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'restartPolicy'];

/** The Go zero value: absent, empty, false or an object with nothing set in it. */
function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.values(value).some(isSet);
  return true;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** ValidatePodEphemeralContainersUpdate: the new list against the pod and the list it had. */
export function ephemeralUpdateProblems(oldPod: KubeObject, next: Container[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const spec = specOf(oldPod);
  const others = [...list(spec.containers), ...list(spec.initContainers)].map((c) => String(c.name));
  const names = new Set(others);
  next.forEach((ec, i) => {
    const at = `spec.ephemeralContainers[${i}]`;
    const name = typeof ec.name === 'string' ? ec.name : '';
    if (!name) problems.push(required(`${at}.name`));
    else if (!DNS_LABEL.test(name) || name.length > 63) {
      problems.push(invalidValue(`${at}.name`, name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
    }
    if (name && names.has(name)) problems.push({ field: `${at}.name`, reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(name)}` });
    else if (name) names.add(name);
    if (typeof ec.image !== 'string' || !ec.image.trim()) problems.push(required(`${at}.image`));
    if (typeof ec.targetContainerName === 'string' && ec.targetContainerName && !others.includes(ec.targetContainerName)) {
      problems.push({ field: `${at}.targetContainerName`, reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(ec.targetContainerName)}` });
    }
    for (const field of NOT_ALLOWED) if (isSet(ec[field])) problems.push(forbiddenField(`${at}.${field}`, 'cannot be set for an Ephemeral Container'));
    list(ec.volumeMounts).forEach((m, j) => {
      for (const field of ['subPath', 'subPathExpr']) {
        if (isSet(m[field])) problems.push(forbiddenField(`${at}.volumeMounts[${j}].${field}`, 'cannot be set for an Ephemeral Container'));
      }
    });
  });
  // Ephemeral containers may be added, never removed or changed.
  const byName = new Map(next.map((c) => [String(c.name), c]));
  for (const old of list(spec.ephemeralContainers)) {
    const now = byName.get(String(old.name));
    if (!now) problems.push(forbiddenField('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(old.name)} may not be removed`));
    else if (JSON.stringify(sorted(defaultEphemeral(now))) !== JSON.stringify(sorted(defaultEphemeral(old)))) {
      problems.push(forbiddenField('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(old.name)} may not be changed`));
    }
  }
  return problems;
}

/**
 * A container as Go compares it: keys in order at every level, and no zero values (a client
 * sends `resources: {}` back for a container stored without it; that is no change).
 */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .filter((k) => isSet(value[k]))
      .sort()
      .map((k) => [k, sorted(value[k])]),
  );
}

/** The ephemeral containers a PUT body asks for: a Pod's spec (1.22 and later) or an EphemeralContainers list (before). */
function requestedList(body: unknown, info: ResourceRequest): { containers: Container[]; resourceVersion?: string } {
  if (!isRecord(body)) throw badRequest('the request body must be a JSON object');
  const metadata = isRecord(body.metadata) ? body.metadata : {};
  if (typeof metadata.name === 'string' && metadata.name && metadata.name !== info.name) {
    throw badRequest(`the name of the object (${metadata.name}) does not match the name on the URL (${info.name})`);
  }
  const resourceVersion = typeof metadata.resourceVersion === 'string' && metadata.resourceVersion ? metadata.resourceVersion : undefined;
  const rv = resourceVersion ? { resourceVersion } : {};
  if (body.kind === 'EphemeralContainers') {
    if (body.apiVersion !== undefined && body.apiVersion !== 'v1') throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (v1)`);
    return { containers: list(body.ephemeralContainers), ...rv };
  }
  if (body.kind !== undefined && body.kind !== 'Pod') throw badRequest(`no kind "${String(body.kind)}" is registered for the ephemeralcontainers subresource: send a Pod (or, as kubectl before 1.22, EphemeralContainers)`);
  return { containers: list(isRecord(body.spec) ? body.spec.ephemeralContainers : undefined), ...rv };
}

async function patchedList(req: IncomingMessage, pod: KubeObject, legacy: boolean): Promise<Container[]> {
  const { type, patch } = await readPatch(req);
  // A patch of the old kind names the list at its top level; a patch of the Pod names it under spec.
  const onView = isRecord(patch) ? 'ephemeralContainers' in patch && !('spec' in patch) : legacy;
  const target: unknown = onView ? ephemeralContainersView(pod) : pod;
  let out: unknown;
  switch (type) {
    case 'json':
      out = jsonPatch(target, patch);
      break;
    case 'merge':
      out = mergePatch(target, patch);
      break;
    case 'strategic':
      out = strategicMergePatch(target, patch);
      break;
    case 'apply':
      throw methodNotAllowed('server-side apply is not implemented by the lab: use `kubectl debug` or a strategic merge patch');
  }
  if (!isRecord(out)) throw badRequest('the patch did not leave an object');
  return onView ? list(out.ephemeralContainers) : list(isRecord(out.spec) ? out.spec.ephemeralContainers : undefined);
}

/**
 * The pod with the new list: every other change a request makes is dropped, as the subresource's
 * strategy does (dropNonEphemeralContainerUpdates); then validated and stored.
 */
export async function writeEphemeralContainers(
  ctx: ResourceContext,
  pod: KubeObject,
  containers: Container[],
  user: Identity,
  opts: { resourceVersion?: string; dryRun?: boolean } = {},
): Promise<KubeObject> {
  const known = new Map(list(specOf(pod).ephemeralContainers).map((c) => [String(c.name), c]));
  const defaulted = containers.map((c) => (known.has(String(c.name)) ? c : defaultEphemeral(c)));
  const problems = ephemeralUpdateProblems(pod, defaulted);
  if (problems.length) throw invalid('Pod', '', pod.metadata.name, problems);
  const next: KubeObject = {
    ...clone(pod),
    metadata: { ...clone(pod.metadata), ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}) },
    spec: { ...clone(specOf(pod)), ephemeralContainers: defaulted },
  };
  return updateObject(ctx, K.pods, next, user, { subresource: 'ephemeralcontainers', dryRun: opts.dryRun ?? false });
}

/** GET, PUT and PATCH on `pods/NAME/ephemeralcontainers`. */
export async function handleEphemeralContainers(
  ctx: ResourceContext,
  info: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  user: Identity,
): Promise<void> {
  const legacy = legacyClient(req.headers['user-agent']);
  const answer = (pod: KubeObject): void => sendJson(res, 200, legacy ? ephemeralContainersView(pod) : served(K.pods, info.version, pod));
  const pod = ctx.store.mustGet(K.pods, info.namespace, info.name!);
  const dryRun = query.getAll('dryRun').includes('All');
  switch (info.verb) {
    case 'get':
      return answer(pod);
    case 'update': {
      const { containers, resourceVersion } = requestedList(await readObject(req), info);
      return answer(await writeEphemeralContainers(ctx, pod, containers, user, { ...(resourceVersion ? { resourceVersion } : {}), dryRun }));
    }
    case 'patch':
      return answer(await writeEphemeralContainers(ctx, pod, await patchedList(req, pod, legacy), user, { dryRun }));
    default:
      throw new ApiError(405, 'MethodNotAllowed', `${info.verb} is not supported on pods/ephemeralcontainers: get, update and patch are`);
  }
}

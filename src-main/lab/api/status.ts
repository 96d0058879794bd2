// Errors as the API server reports them: metav1.Status objects with a reason, a code and field causes, which kubectl relies on.

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** An error that the server answers with its Status. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): StatusObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `group/resource` as the API server names it in messages: `pods`, `deployments.apps`. */
export interface ResourceName {
  group: string;
  resource: string;
}

const qualified = (r: ResourceName): string => (r.group ? `${r.resource}.${r.group}` : r.resource);
const details = (r: ResourceName, name?: string): StatusDetails => ({
  ...(name !== undefined ? { name } : {}),
  ...(r.group ? { group: r.group } : {}),
  kind: r.resource,
});

export const notFound = (r: ResourceName, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, details(r, name));

export const alreadyExists = (r: ResourceName, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, details(r, name));

export const conflict = (r: ResourceName, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, details(r, name));

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

export function forbidden(user: string, verb: string, r: ResourceName, namespace: string | undefined, why?: string): ApiError {
  const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  const message = `${qualified(r)} is forbidden: User "${user}" cannot ${verb} resource "${r.resource}" in API group "${r.group}"${where}${why ? `: ${why}` : ''}`;
  return new ApiError(403, 'Forbidden', message, details(r));
}

export function methodNotAllowed(what?: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource${what ? ` (${what})` : ''}`,
    {},
  );
}

export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);

/** One invalid field, in the API server's words: `spec.ports[0].port: Invalid value: 0: must be …`. */
export interface FieldProblem {
  field: string;
  /** FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTypeInvalid */
  reason: string;
  message: string;
}

export function invalid(kind: string, group: string, name: string, problems: FieldProblem[]): ApiError {
  const listed = problems.map((p) => `${p.field}: ${p.message}`);
  const message = `${kind} "${name}" is invalid: ${listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`}`;
  return new ApiError(422, 'Invalid', message, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: problems.map((p) => ({ reason: p.reason, message: p.message, field: p.field })),
  });
}

export const required = (field: string, detail = ''): FieldProblem => ({
  field,
  reason: 'FieldValueRequired',
  message: `Required value${detail ? `: ${detail}` : ''}`,
});

/** Go's %v rendering of a bad value, as field.Invalid prints it (strings quoted). */
export function invalidValue(field: string, value: unknown, detail: string): FieldProblem {
  const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${detail}` };
}

export function notSupported(field: string, value: unknown, allowed: string[]): FieldProblem {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return {
    field,
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${shown}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`,
  };
}

export function forbiddenField(field: string, detail: string): FieldProblem {
  return { field, reason: 'FieldValueForbidden', message: `Forbidden: ${detail}` };
}

// The metav1.Status objects the streaming endpoints report, serialised as Go's encoding/json writes
// them (fields in declaration order, empty ones left out), since clients compare and decode them.

export interface StatusCause {
  /** `reason` on the wire: Go's StatusCause.Type. */
  reason?: string;
  message?: string;
  field?: string;
}

export interface Status {
  kind?: 'Status';
  apiVersion?: 'v1';
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes?: StatusCause[] };
  code?: number;
}

/** `{"metadata":{},"status":"Success"}`: what the kubelet writes on the error stream when a command succeeds. */
export function successStatus(): Status {
  return { status: 'Success' };
}

/** A command's non-zero exit, as the kubelet reports it (v4 and later carry the code as a cause). */
export function exitCodeStatus(exitCode: number, message: string): Status {
  return {
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${message}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** apierrors.NewInternalError. */
export function internalErrorStatus(error: string): Status {
  return {
    status: 'Failure',
    message: `Internal error occurred: ${error}`,
    reason: 'InternalError',
    details: { causes: [{ message: error }] },
    code: 500,
  };
}

/** apierrors.NewBadRequest, as the API server answers a request (with its kind and apiVersion). */
export function badRequestStatus(message: string): Status {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'BadRequest', code: 400 };
}

export function statusJson(status: Status): string {
  const causes = status.details?.causes?.map((c) => ({
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
    ...(c.field ? { field: c.field } : {}),
  }));
  return JSON.stringify({
    ...(status.kind ? { kind: status.kind } : {}),
    ...(status.apiVersion ? { apiVersion: status.apiVersion } : {}),
    metadata: {},
    status: status.status,
    ...(status.message ? { message: status.message } : {}),
    ...(status.reason ? { reason: status.reason } : {}),
    ...(causes?.length ? { details: { causes } } : {}),
    ...(status.code ? { code: status.code } : {}),
  });
}

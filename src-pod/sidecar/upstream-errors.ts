// Envoy's words for upstream failures: reset reasons, transport failure reasons, local reply bodies.

/** strerror(3) text for the errno codes a connect can fail with (newer Envoy prints these). */
const STRERROR: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ETIMEDOUT: 'Connection timed out',
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
};

export interface UpstreamFailure {
  /** Envoy's reset reason: `remote connection failure`, `connection timeout`, `connection termination`. */
  reason: string;
  /** `%UPSTREAM_TRANSPORT_FAILURE_REASON%`, e.g. `delayed connect error: Connection refused`. */
  transport?: string;
}

/** An HTTP parse error on the upstream's bytes (Node's and our parser's `HPE_*`): Envoy's codec protocol error. */
export function isProtocolError(err: NodeJS.ErrnoException): boolean {
  return err.code?.startsWith('HPE_') === true;
}

/** After connect: a parse error is `protocol error` (UPE), anything else `connection termination` (UC). */
export function terminationFailure(err: NodeJS.ErrnoException): { failure: UpstreamFailure; flag: 'UPE' | 'UC' } {
  return isProtocolError(err) ? { failure: { reason: 'protocol error' }, flag: 'UPE' } : { failure: { reason: 'connection termination' }, flag: 'UC' };
}

/** Envoy's router answers a protocol error 502 (Bad Gateway) and any other reset before headers 503. */
export function resetStatus(f: UpstreamFailure): number {
  return f.reason === 'protocol error' ? 502 : 503;
}

/** A connect-phase error as Envoy reports it. */
export function connectFailure(err: NodeJS.ErrnoException): UpstreamFailure {
  if (err.code === 'ETIMEDOUT' && err.message === CONNECT_TIMEOUT_MESSAGE) return { reason: 'connection timeout' };
  const text = (err.code !== undefined ? STRERROR[err.code] : undefined) ?? err.message;
  return { reason: 'remote connection failure', transport: `delayed connect error: ${text}` };
}

export const CONNECT_TIMEOUT_MESSAGE = 'upstream connect timeout';

export function connectTimeoutError(): NodeJS.ErrnoException {
  return Object.assign(new Error(CONNECT_TIMEOUT_MESSAGE), { code: 'ETIMEDOUT' });
}

/** `%RESPONSE_CODE_DETAILS%` for a reset before headers (spaces become `_` in the log). */
export function resetDetails(f: UpstreamFailure): string {
  const reason = f.reason.replace(/ /g, '_');
  return `upstream_reset_before_response_started{${reason}${f.transport !== undefined ? `|${f.transport}` : ''}}`;
}

/** Envoy's body for a reset before response headers (503, or 502 for a protocol error). */
export function resetBody(f: UpstreamFailure, retried: boolean): string {
  return (
    'upstream connect error or disconnect/reset before headers. ' +
    `${retried ? 'retried and the latest reset reason' : 'reset reason'}: ${f.reason}` +
    (f.transport !== undefined ? `, transport failure reason: ${f.transport}` : '')
  );
}

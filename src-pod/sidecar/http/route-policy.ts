// The router's policies in one place for both HTTP engines: what a route answers itself, retries, backoff.
import type { Cluster, RouteEntry } from '../routing';
import type { ResponseFlag } from '../stream-info';

/** A reply the proxy writes itself, without an upstream. */
export interface LocalReply {
  code: number;
  body: string;
  details: string;
  flag?: ResponseFlag;
}

/**
 * Where a request goes: a cluster, or a local reply (Envoy's router): no route → 404 NR; a direct
 * response (Istio's `block_all`) → 502; a route to a cluster this proxy lacks → 503 NC.
 */
export function routeTarget(route: RouteEntry | undefined): { cluster: Cluster } | { reply: LocalReply } {
  if (route === undefined) return { reply: { code: 404, body: '', details: 'route_not_found', flag: 'NR' } };
  if (route.cluster) return { cluster: route.cluster };
  if (route.directStatus !== undefined) return { reply: { code: route.directStatus, body: '', details: 'direct_response' } };
  return { reply: { code: 503, body: '', details: 'cluster_not_found', flag: 'NC' } };
}

/** Envoy's no-healthy-upstream reply. */
export const NO_HEALTHY_UPSTREAM: LocalReply = { code: 503, body: 'no healthy upstream', details: 'no_healthy_upstream', flag: 'UH' };

// Bodies up to this size are kept so a failed attempt can be retried (Envoy buffers too).
export const RETRY_BUFFER_LIMIT = 64 * 1024;
export const RETRY_BASE_MS = 25;

/** The request body kept for a retry, up to RETRY_BUFFER_LIMIT; past it the request cannot be retried. */
export class RetryBody {
  chunks: Buffer[] = [];
  overflow = false;
  private bytes = 0;

  add(chunk: Buffer): void {
    if (this.overflow) return;
    this.bytes += chunk.length;
    if (this.bytes > RETRY_BUFFER_LIMIT) {
      this.overflow = true;
      this.chunks = [];
    } else this.chunks.push(chunk);
  }
}

/** Envoy's backoff before retry `attempt` (1-based): uniform in [0, (2^n - 1) * 25ms]. */
export function retryDelayMs(attempt: number): number {
  return Math.random() * ((2 ** attempt - 1) * RETRY_BASE_MS);
}

/** Istio's retriable-status-codes: a 503 from the upstream is retried like a connect failure. */
export const RETRIABLE_STATUS = 503;

/** What an exchange knows when it decides on a retry (both engines fill it the same way). */
export interface RetryState {
  /** 1-based: the attempt that just failed or answered. */
  attempt: number;
  /** The route's retry budget (Istio's default: 2). */
  retries: number;
  /** The whole request body has been read, so it can be sent again. */
  bodyComplete: boolean;
  /** The body outgrew the retry buffer. */
  bufferOverflow: boolean;
  downstreamGone: boolean;
}

function canRetry(s: RetryState): boolean {
  return s.attempt <= s.retries && !s.bufferOverflow && !s.downstreamGone;
}

/** A connect failure (Istio's `connect-failure` retry_on): retried while the budget and the body allow. */
export function retryConnectFailure(s: RetryState): boolean {
  // The first attempt can retry before the body is read: nothing of it went upstream yet.
  return canRetry(s) && (s.bodyComplete || s.attempt === 1);
}

/**
 * An upstream answer: `retry` a retriable status (503) the policy allows; `exhausted` when that
 * status came on the last allowed attempt (URX, `upstream_rq_retry_limit_exceeded`); else `deliver`.
 */
export function retryOnStatus(code: number, s: RetryState): 'retry' | 'exhausted' | 'deliver' {
  if (code !== RETRIABLE_STATUS || s.retries === 0) return 'deliver';
  if (canRetry(s) && s.bodyComplete) return 'retry';
  return s.attempt > s.retries ? 'exhausted' : 'deliver';
}

/** A local reply after retries ended on a connect failure: URX beside its UF. */
export function exhaustedByFailures(s: RetryState, flags: readonly ResponseFlag[]): boolean {
  return s.attempt > 1 && flags.includes('UF');
}

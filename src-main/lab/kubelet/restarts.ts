// The kubelet's container restart rules as pure logic: which exits restart under a restartPolicy, and the crash-loop back-off (10 s doubling to 5 min).

/** kubelet's backOffPeriod and MaxContainerBackOff. */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export function restartPolicyOf(spec: Record<string, unknown>): RestartPolicy {
  const p = spec.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/**
 * Whether the kubelet starts an exited container again: an app container by the pod's
 * restartPolicy; an init container that failed unless the policy is Never (one that succeeded is
 * done). A sidecar init container (restartPolicy Always on the container) always restarts.
 */
export function shouldRestart(policy: RestartPolicy, exitCode: number, kind: 'app' | 'init' | 'sidecar'): boolean {
  if (kind === 'sidecar') return true;
  if (kind === 'init') return exitCode !== 0 && policy !== 'Never';
  if (policy === 'Always') return true;
  return policy === 'OnFailure' && exitCode !== 0;
}

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

/**
 * client-go's flowcontrol.Backoff as the kubelet uses it (no jitter): `next` is called when a
 * container is restarted; a later exit within the current window (counted from the exit) waits.
 * An entry not updated for twice the maximum starts again from the initial period.
 */
export class ContainerBackOff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly initialMs = BACKOFF_INITIAL_MS,
    private readonly maxMs = BACKOFF_MAX_MS,
  ) {}

  private expired(eventTime: number, entry: Entry): boolean {
    return eventTime - entry.lastUpdate > 2 * this.maxMs;
  }

  /** The current window, 0 when the key has none. */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  next(key: string, eventTime: number, now: number): void {
    const entry = this.entries.get(key);
    if (!entry || this.expired(eventTime, entry)) this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: now });
    else this.entries.set(key, { backoffMs: Math.min(entry.backoffMs * 2, this.maxMs), lastUpdate: now });
  }

  /** True while less than the current window has passed since `eventTime` (the container's exit). */
  isInBackOffSince(key: string, eventTime: number, now: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(eventTime, entry)) return false;
    return now - eventTime < entry.backoffMs;
  }

  /** When a container that exited at `eventTime` may start again. */
  retryAt(key: string, eventTime: number): number {
    return eventTime + this.get(key);
  }

  forget(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}

/** Go's time.Duration String for whole seconds, as the waiting message prints the window: `10s`, `1m20s`, `5m0s`. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

/** format.Pod: `name_namespace(uid)`. */
export const formatPod = (name: string, namespace: string, uid: string): string => `${name}_${namespace}(${uid})`;

/** The waiting state of a container the kubelet holds back (kuberuntime doBackOff's message). */
export function crashLoopWaiting(container: string, backoffMs: number, pod: string): { reason: string; message: string } {
  return { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(backoffMs)} restarting failed container=${container} pod=${pod}` };
}

/** The BackOff event's message. */
export const backOffMessage = (container: string, pod: string): string => `Back-off restarting failed container ${container} in pod ${pod}`;

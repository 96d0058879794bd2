// Which run of a container `kubectl logs` reads (the current one, or with --previous the one before), as a time window of the engine's log: the lab restarts a container in place, so its log holds every run.
import { isRecord } from '../api/objects';

/** A slice of the engine's log, as Docker's `since` and `until` take it ("seconds.nanoseconds"). */
export interface LogWindow {
  since?: string;
  until?: string;
}

/** What the kubelet knows of the container when its log is asked for. */
export interface LogRunInput {
  pod: string;
  container: string;
  previous: boolean;
  /** The container's entry in the pod's status (state, lastState). */
  status: Record<string, unknown> | undefined;
  running: boolean;
  /** When the kubelet last restarted the container (the current run began), as it noted it. */
  restartedAt?: string;
  /** When it restarted it the time before (the previous run began). */
  previousRestartedAt?: string;
}

/** An RFC 3339 time, with up to nine fractional digits, as Docker's "seconds.nanoseconds". */
export function engineTimestamp(time: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (!m) throw new Error(`not an RFC 3339 time: ${time}`);
  const seconds = Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000);
  return `${seconds}.${(m[2] ?? '').padEnd(9, '0')}`;
}

const sinceOf = (time: string | undefined): LogWindow => (time ? { since: engineTimestamp(time) } : {});

/**
 * The kubelet's validateContainerLogStatus on a container restarted in place, whose runs part
 * where the kubelet restarted it (a run's first lines can precede the engine's StartedAt, and its
 * last ones follow its FinishedAt, never the restart):
 * --previous reads `lastState.terminated` (an error naming the container when there is none);
 * without it the current run, or the one that just ended while the container waits in its
 * back-off (then `lastState` is that same run, so both read it, as on a cluster).
 */
export function logWindow(input: LogRunInput): LogWindow | { error: string } {
  const { status } = input;
  const last = isRecord(status?.lastState) && isRecord(status.lastState.terminated) ? status.lastState.terminated : undefined;
  const backOff = !input.running && isRecord(status?.state) && isRecord(status.state.waiting);
  // Without the kubelet's note (a host started again), the second the run before ended, as the API has it.
  const restart = input.restartedAt ?? (!backOff && typeof last?.finishedAt === 'string' ? last.finishedAt : undefined);
  if (!input.previous) return sinceOf(restart);
  if (!last || !last.containerID) return { error: `previous terminated container "${input.container}" in pod "${input.pod}" not found` };
  if (backOff) return sinceOf(restart);
  return { ...sinceOf(input.previousRestartedAt), ...(restart ? { until: engineTimestamp(restart) } : {}) };
}

/** The later of two windows' starts (the user's `--since` and the run's). */
export function laterSince(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Number(a) >= Number(b) ? a : b;
}

// The kubelet's probe worker as pure logic (pkg/kubelet/prober/worker.go): when a probe runs, and how its results pass the success and failure thresholds.
import { isRecord } from '../api/objects';

export type ProbeType = 'readiness' | 'liveness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** The probe types, in the order Kubernetes names them, with the word its events use. */
export const PROBE_TYPES: readonly [ProbeType, string, string][] = [
  ['startup', 'startupProbe', 'Startup'],
  ['liveness', 'livenessProbe', 'Liveness'],
  ['readiness', 'readinessProbe', 'Readiness'],
];

/** A container's probe with the API's defaults applied (SetDefaults_Probe). */
export interface ProbeSpec {
  action: Record<string, unknown>;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  terminationGracePeriodSeconds?: number;
}

const count = (value: unknown, fallback: number, min: number): number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fallback;

/** The probe as the kubelet runs it: undefined when the container has none of this type, or it names no action. */
export function probeSpecOf(container: Record<string, unknown>, field: string): ProbeSpec | undefined {
  const p = container[field];
  if (!isRecord(p)) return undefined;
  const action = ['exec', 'httpGet', 'tcpSocket', 'grpc'].find((k) => isRecord(p[k]));
  if (!action) return undefined;
  return {
    action: { [action]: p[action] },
    initialDelaySeconds: count(p.initialDelaySeconds, 0, 0),
    periodSeconds: count(p.periodSeconds, 10, 1),
    timeoutSeconds: count(p.timeoutSeconds, 1, 1),
    successThreshold: count(p.successThreshold, 1, 1),
    failureThreshold: count(p.failureThreshold, 3, 1),
    ...(typeof p.terminationGracePeriodSeconds === 'number' ? { terminationGracePeriodSeconds: p.terminationGracePeriodSeconds } : {}),
  };
}

/** What the worker knows of its container when it ticks. */
export interface ProbedContainer {
  containerId: string;
  running: boolean;
  /** ms since the epoch. */
  startedAt: number;
  /** Whether the container counts as started (its startup probe succeeded, or it has none). */
  started: boolean;
}

/**
 * One probe of one container. `tick` says whether to probe now; `record` takes the result and
 * returns the result the kubelet now holds when it changed. Liveness and startup failures put the
 * worker on hold until the container is replaced (a new container ID), as the kubelet does.
 */
export class ProbeWorker {
  private containerId = '';
  private lastResult: ProbeResult = 'unknown';
  private resultRun = 0;
  private onHold = false;
  /** The result the kubelet holds for the current container; undefined before there is one. */
  held: ProbeResult | undefined;

  constructor(
    readonly type: ProbeType,
    readonly spec: ProbeSpec,
  ) {}

  /** Readiness starts failed, liveness succeeded, startup unknown (results.Failure / Success / Unknown). */
  private get initial(): ProbeResult {
    return this.type === 'readiness' ? 'failure' : this.type === 'liveness' ? 'success' : 'unknown';
  }

  /** The result held for this container: a container the worker has not seen yet starts from the initial result. */
  resultFor(containerId: string | undefined): ProbeResult {
    return containerId && containerId === this.containerId && this.held !== undefined ? this.held : this.initial;
  }

  /** Whether to run the probe now; also takes in a new container (its result starts from the initial one). */
  tick(c: ProbedContainer | undefined, now: number): boolean {
    if (!c?.containerId) return false;
    if (c.containerId !== this.containerId) {
      this.containerId = c.containerId;
      this.held = this.initial;
      this.onHold = false;
      this.lastResult = 'unknown';
      this.resultRun = 0;
    }
    if (this.onHold) return false;
    if (!c.running) {
      this.held = 'failure';
      return false;
    }
    if (Math.floor((now - c.startedAt) / 1000) < this.spec.initialDelaySeconds) return false;
    // Startup probes stop once the container started; the others wait for it.
    return this.type === 'startup' ? !c.started : c.started;
  }

  /** A probe's result for the container `tick` last saw; the new held result when it changed. */
  record(result: ProbeResult): ProbeResult | undefined {
    if (this.lastResult === result) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    if ((result === 'failure' && this.resultRun < this.spec.failureThreshold) || (result === 'success' && this.resultRun < this.spec.successThreshold)) return undefined;
    const before = this.held;
    this.held = result;
    if (this.type !== 'readiness' && result === 'failure') {
      this.onHold = true;
      this.resultRun = 0;
    }
    return before === result ? undefined : result;
  }
}

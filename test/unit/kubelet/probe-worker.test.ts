// The kubelet's probe worker as pkg/kubelet/prober/worker.go has it: defaults, initial results, initialDelaySeconds, the success and failure thresholds, startup gating, and liveness holding until a new container.
import { describe, expect, it } from 'vitest';
import { probeSpecOf, ProbeWorker, type ProbeResult } from '../../../src-main/lab/kubelet/probe-worker';

const s = 1000;
const container = (over: Partial<{ containerId: string; running: boolean; startedAt: number; started: boolean }> = {}) => ({
  containerId: 'docker://a',
  running: true,
  startedAt: 0,
  started: true,
  ...over,
});

/** The held result after each of the given probe results. */
function run(w: ProbeWorker, results: ProbeResult[], at = 100 * s): (ProbeResult | undefined)[] {
  return results.map((r) => {
    expect(w.tick(container(), at)).toBe(true);
    w.record(r);
    return w.held;
  });
}

describe('probe defaults', () => {
  it('applies the API defaults and keeps what is set', () => {
    expect(probeSpecOf({ readinessProbe: { httpGet: { port: 80 } } }, 'readinessProbe')).toEqual({
      action: { httpGet: { port: 80 } },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(probeSpecOf({ livenessProbe: { exec: { command: ['true'] }, periodSeconds: 2, failureThreshold: 1 } }, 'livenessProbe')).toMatchObject({ periodSeconds: 2, failureThreshold: 1 });
    expect(probeSpecOf({ readinessProbe: { periodSeconds: 2 } }, 'readinessProbe')).toBeUndefined();
    expect(probeSpecOf({}, 'startupProbe')).toBeUndefined();
  });
});

describe('thresholds', () => {
  it('readiness starts failed and needs successThreshold successes in a row, then failureThreshold failures in a row', () => {
    const w = new ProbeWorker('readiness', probeSpecOf({ p: { tcpSocket: { port: 1 }, successThreshold: 2, failureThreshold: 3 } }, 'p')!);
    expect(w.resultFor('docker://a')).toBe('failure');
    expect(run(w, ['success', 'failure', 'success', 'success'])).toEqual(['failure', 'failure', 'failure', 'success']);
    expect(run(w, ['failure', 'failure', 'success', 'failure', 'failure', 'failure'])).toEqual(['success', 'success', 'success', 'success', 'success', 'failure']);
  });

  it('record returns the held result only when it changes', () => {
    const w = new ProbeWorker('readiness', probeSpecOf({ p: { tcpSocket: { port: 1 } } }, 'p')!);
    w.tick(container(), 0);
    expect(w.record('success')).toBe('success');
    w.tick(container(), 0);
    expect(w.record('success')).toBeUndefined();
  });

  it('liveness starts succeeded; failureThreshold failures fail it, and the worker holds until the container is replaced', () => {
    const w = new ProbeWorker('liveness', probeSpecOf({ p: { exec: { command: ['x'] }, failureThreshold: 2 } }, 'p')!);
    expect(w.resultFor('docker://a')).toBe('success');
    expect(run(w, ['failure', 'failure'])).toEqual(['success', 'failure']);
    expect(w.tick(container(), 100 * s)).toBe(false);
    // The restarted container: probed again, from success.
    expect(w.tick(container({ containerId: 'docker://b' }), 100 * s)).toBe(true);
    expect(w.resultFor('docker://b')).toBe('success');
  });

  it('a success between failures starts the count again', () => {
    const w = new ProbeWorker('liveness', probeSpecOf({ p: { exec: { command: ['x'] }, failureThreshold: 2 } }, 'p')!);
    expect(run(w, ['failure', 'success', 'failure', 'success'])).toEqual(['success', 'success', 'success', 'success']);
  });
});

describe('when a probe runs', () => {
  const spec = probeSpecOf({ p: { httpGet: { port: 8080 }, initialDelaySeconds: 5 } }, 'p')!;

  it('waits initialDelaySeconds from the container start', () => {
    const w = new ProbeWorker('readiness', spec);
    expect(w.tick(container({ startedAt: 0 }), 4.9 * s)).toBe(false);
    expect(w.tick(container({ startedAt: 0 }), 5 * s)).toBe(true);
  });

  it('runs readiness and liveness only once the container started, startup only until then', () => {
    const early = container({ started: false });
    expect(new ProbeWorker('readiness', spec).tick(early, 10 * s)).toBe(false);
    expect(new ProbeWorker('liveness', spec).tick(early, 10 * s)).toBe(false);
    expect(new ProbeWorker('startup', spec).tick(early, 10 * s)).toBe(true);
    expect(new ProbeWorker('startup', spec).tick(container(), 10 * s)).toBe(false);
  });

  it('a container that is not running fails and is not probed; no container, no probe', () => {
    const w = new ProbeWorker('readiness', spec);
    w.tick(container(), 10 * s);
    w.record('success');
    expect(w.tick(container({ running: false }), 10 * s)).toBe(false);
    expect(w.held).toBe('failure');
    expect(w.tick(undefined, 10 * s)).toBe(false);
  });
});

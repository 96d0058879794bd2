// A pod's status from its containers and the kubelet's memory of their restarts, and the STATUS and RESTARTS `kubectl get pods` then shows (kubelet's getPhase, printPod).
import { describe, expect, it } from 'vitest';
import { podRow } from '../../../src-main/lab/api/kinds/core';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { podPhase, podStatus, type ContainerFacts, type ContainerHistory } from '../../../src-main/lab/api/pod-status';

const NOW = Date.parse('2026-12-07T10:00:00Z');
const at = (ms: number) => new Date(NOW - ms).toISOString().replace(/\.\d+Z$/, 'Z');

function pod(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u-1', creationTimestamp: at(120_000) }, spec };
}

const fact = (name: string, role: string, f: Partial<ContainerFacts>): ContainerFacts => ({
  name,
  role,
  image: 'sidecar-lab/demo',
  imageId: 'sha256:1',
  containerId: `docker://${name}`,
  running: false,
  restartCount: 0,
  ...f,
});
const exited = (name: string, role: string, exitCode: number, agoMs: number): ContainerFacts =>
  fact(name, role, { exitCode, startedAt: at(agoMs + 100), finishedAt: at(agoMs) });
const running = (name: string, role: string): ContainerFacts => fact(name, role, { running: true, startedAt: at(60_000) });

const row = (p: KubeObject, facts: ContainerFacts[], history: Record<string, ContainerHistory> = {}) => {
  const status = podStatus(p, facts, (_, name) => history[name]);
  const cells = podRow({ ...p, status }, NOW);
  return { status, ready: cells[1], phase: status.phase, reason: cells[2], restarts: cells[3] };
};

const app = { containers: [{ name: 'app', image: 'sidecar-lab/demo' }] };
const injected = {
  initContainers: [{ name: 'istio-init', image: 'proxyv2' }],
  containers: [
    { name: 'app', image: 'sidecar-lab/demo' },
    { name: 'istio-proxy', image: 'proxyv2' },
  ],
};

describe('an app container that exits', () => {
  it('shows Error before the kubelet restarts it, CrashLoopBackOff while it is held back, with its restarts', () => {
    const p = pod(app);
    expect(row(p, [exited('app', 'app', 1, 1000)])).toMatchObject({ reason: 'Error', restarts: '0', phase: 'Running' });
    const held = row(p, [exited('app', 'app', 1, 1000)], {
      app: { restartCount: 1, lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: at(5000) }, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=p_default(u-1)' } },
    });
    expect(held).toMatchObject({ ready: '0/1', reason: 'CrashLoopBackOff', restarts: '1 (1s ago)', phase: 'Running' });
    const cs = (held.status.containerStatuses as Record<string, unknown>[])[0];
    expect(cs.state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=p_default(u-1)' } });
    // Held back, the last state is the run that just ended.
    expect(cs.lastState).toMatchObject({ terminated: { exitCode: 1, reason: 'Error', finishedAt: at(1000) } });
    expect(cs.restartCount).toBe(1);
  });

  it('runs again with the restart counted and the previous run as its last state', () => {
    const r = row(pod(app), [running('app', 'app')], { app: { restartCount: 2, lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: at(30_000) } } });
    expect(r).toMatchObject({ ready: '1/1', reason: 'Running', restarts: '2 (30s ago)' });
  });

  it('is Completed, and the pod Succeeded, with restartPolicy Never and exit code 0; Failed with another code', () => {
    expect(row(pod({ ...app, restartPolicy: 'Never' }), [exited('app', 'app', 0, 1000)])).toMatchObject({ ready: '0/1', reason: 'Completed', phase: 'Succeeded' });
    expect(row(pod({ ...app, restartPolicy: 'Never' }), [exited('app', 'app', 3, 1000)])).toMatchObject({ reason: 'Error', phase: 'Failed' });
    expect(row(pod({ ...app, restartPolicy: 'OnFailure' }), [exited('app', 'app', 3, 1000)])).toMatchObject({ phase: 'Running' });
  });

  it('keeps the counts the status had when the kubelet has no memory of them (a host started again)', () => {
    const p = pod(app);
    const before = row(p, [running('app', 'app')], { app: { restartCount: 4, lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: at(30_000) } } });
    expect(row({ ...p, status: before.status }, [running('app', 'app')]).restarts).toBe('4 (30s ago)');
  });
});

describe('istio-init that fails', () => {
  it('shows Init:Error, then Init:CrashLoopBackOff; the app containers wait, the pod is Pending', () => {
    const p = pod(injected);
    const first = row(p, [exited('istio-init', 'istio-init', 1, 1000)]);
    expect(first).toMatchObject({ ready: '0/2', reason: 'Init:Error', phase: 'Pending' });
    expect((first.status.containerStatuses as Record<string, unknown>[]).map((s) => s.state)).toEqual([
      { waiting: { reason: 'PodInitializing' } },
      { waiting: { reason: 'PodInitializing' } },
    ]);
    const held = row(p, [exited('istio-init', 'istio-init', 1, 1000)], {
      'istio-init': { restartCount: 1, lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: at(3000) }, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } },
    });
    expect(held).toMatchObject({ reason: 'Init:CrashLoopBackOff', restarts: '1 (1s ago)', phase: 'Pending' });
  });

  it('fails the pod with restartPolicy Never', () => {
    expect(row(pod({ ...injected, restartPolicy: 'Never' }), [exited('istio-init', 'istio-init', 1, 1000)]).phase).toBe('Failed');
  });
});

describe('getPhase', () => {
  it('is Running while every container restarts under Always, Pending while one has not started', () => {
    const crashed = { state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } };
    expect(podPhase('Always', [], [crashed])).toBe('Running');
    expect(podPhase('Always', [], [{ state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} }])).toBe('Pending');
    expect(podPhase('Always', [], [{ state: { running: {} } }, crashed])).toBe('Running');
  });
});

// The pod row of `kubectl get pods` (NAME READY STATUS RESTARTS AGE), checked against
// kube-apiserver's printPod cases in pkg/printers/internalversion/printers_test.go
// (TestPrintPod, TestPrintPodWithRestartableInitContainer, TestPrintPodwide). Those cases leave
// container names empty; here each container has a name, as every real pod has.
import { describe, expect, it } from 'vitest';
import { podRow } from '../../../src-main/lab/api/kinds/core';
import type { KubeObject } from '../../../src-main/lab/api/objects';

const NOW = Date.parse('2026-12-07T10:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const S = 1000;
const M = 60 * S;
const D = 24 * 60 * M;

type Obj = Record<string, unknown>;
const containers = (n: number, prefix = 'c'): Obj[] => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}` }));
const named = (prefix: string, statuses: Obj[]): Obj[] => statuses.map((s, i) => ({ name: `${prefix}${i}`, ...s }));
const running = { running: {} };
const lastFinished = (ms: number) => ({ terminated: { finishedAt: ago(ms) } });

function pod(name: string, spec: Obj, status: Obj, metadata: Obj = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...metadata }, spec, status };
}

const cells = (p: KubeObject) => podRow(p, NOW).slice(0, 5);

describe('printPod: READY, STATUS, RESTARTS', () => {
  const cases: [string, KubeObject, unknown[]][] = [
    [
      'test1: ready count and restarts summed',
      pod('test1', { containers: containers(2) }, { phase: 'podPhase', containerStatuses: named('c', [{ ready: true, restartCount: 3, state: running }, { restartCount: 3 }]) }),
      ['test1', '1/2', 'podPhase', '6', '<unknown>'],
    ],
    [
      'test2: a waiting reason overrides the phase',
      pod('test2', { containers: containers(2) }, { phase: 'podPhase', containerStatuses: named('c', [{ ready: true, restartCount: 3, state: running }, { state: { waiting: { reason: 'ContainerWaitingReason' } }, restartCount: 3 }]) }),
      ['test2', '1/2', 'ContainerWaitingReason', '6', '<unknown>'],
    ],
    [
      'test3: the first container\'s reason wins',
      pod('test3', { containers: containers(2) }, {
        phase: 'podPhase',
        containerStatuses: named('c', [
          { state: { waiting: { reason: 'ContainerWaitingReason' } }, restartCount: 3 },
          { state: { terminated: { reason: 'ContainerTerminatedReason' } }, restartCount: 3 },
        ]),
      }),
      ['test3', '0/2', 'ContainerWaitingReason', '6', '<unknown>'],
    ],
    [
      'test4: ready is not enough for running',
      pod('test4', { containers: containers(2) }, { phase: 'podPhase', containerStatuses: named('c', [{ ready: true, restartCount: 3, state: running }, { ready: true, restartCount: 3 }]) }),
      ['test4', '1/2', 'podPhase', '6', '<unknown>'],
    ],
    [
      'test5: the pod\'s reason wins over its phase',
      pod('test5', { containers: containers(2) }, { reason: 'podReason', phase: 'podPhase', containerStatuses: named('c', [{ ready: true, restartCount: 3, state: running }, { ready: true, restartCount: 3 }]) }),
      ['test5', '1/2', 'podReason', '6', '<unknown>'],
    ],
    [
      'test6: one Completed and one running, not Ready → NotReady',
      pod('test6', { containers: containers(2) }, { phase: 'Running', containerStatuses: named('c', [{ ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } }, { ready: true, restartCount: 3, state: running }]) }),
      ['test6', '1/2', 'NotReady', '6', '<unknown>'],
    ],
    [
      'test6: one Completed and one running, Ready → Running',
      pod('test6', { containers: containers(2) }, {
        phase: 'Running',
        containerStatuses: named('c', [{ ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } }, { ready: true, restartCount: 3, state: running }]),
        conditions: [{ type: 'Ready', status: 'True' }],
      }),
      ['test6', '1/2', 'Running', '6', '<unknown>'],
    ],
    [
      'test7: an init container restarting → Init:0/1 and its restarts with their age',
      pod('test7', { initContainers: containers(1, 'i'), containers: containers(1) }, {
        phase: 'podPhase',
        initContainerStatuses: named('i', [{ ready: false, restartCount: 3, state: running, lastState: lastFinished(10 * S) }]),
        containerStatuses: named('c', [{ ready: false, restartCount: 0, state: { waiting: {} } }]),
      }),
      ['test7', '0/1', 'Init:0/1', '3 (10s ago)', '<unknown>'],
    ],
    [
      'test8: the first of two init containers restarting → Init:0/2',
      pod('test8', { initContainers: containers(2, 'i'), containers: containers(1) }, {
        phase: 'podPhase',
        initContainerStatuses: named('i', [{ ready: false, restartCount: 3, state: running, lastState: lastFinished(10 * S) }, { ready: false, state: { waiting: {} } }]),
        containerStatuses: named('c', [{ ready: false, state: { waiting: {} } }]),
      }),
      ['test8', '0/1', 'Init:0/2', '3 (10s ago)', '<unknown>'],
    ],
    [
      'test9: the second init container restarting → Init:1/2',
      pod('test9', { initContainers: containers(2, 'i'), containers: containers(1) }, {
        phase: 'podPhase',
        initContainerStatuses: named('i', [{ ready: false, state: { terminated: {} } }, { ready: false, restartCount: 3, state: running, lastState: lastFinished(10 * S) }]),
        containerStatuses: named('c', [{ ready: false, state: { waiting: {} } }]),
      }),
      ['test9', '0/1', 'Init:1/2', '3 (10s ago)', '<unknown>'],
    ],
    [
      'test10: init restarts add up; the latest restart gives the age',
      pod('test10', { initContainers: containers(2, 'i'), containers: containers(1) }, {
        phase: 'podPhase',
        initContainerStatuses: named('i', [
          { ready: false, restartCount: 2, state: { terminated: {} }, lastState: lastFinished(2 * M) },
          { ready: false, restartCount: 3, state: running, lastState: lastFinished(10 * S) },
        ]),
        containerStatuses: named('c', [{ ready: false, state: { waiting: {} } }]),
      }),
      ['test10', '0/1', 'Init:1/2', '5 (10s ago)', '<unknown>'],
    ],
    [
      'test11: once initialized, only the containers\' restarts count',
      pod('test11', { initContainers: containers(1, 'i'), containers: containers(1) }, {
        phase: 'Running',
        initContainerStatuses: named('i', [{ ready: false, restartCount: 2, state: { terminated: {} }, lastState: lastFinished(2 * M) }]),
        containerStatuses: named('c', [{ ready: false, restartCount: 4, state: running, lastState: lastFinished(20 * S) }]),
      }),
      ['test11', '0/1', 'Running', '4 (20s ago)', '<unknown>'],
    ],
    [
      'test12: a restart 5 days ago',
      pod('test12', { containers: containers(1) }, { phase: 'Running', containerStatuses: named('c', [{ ready: true, restartCount: 3, state: running, lastState: lastFinished(5 * D) }]) }),
      ['test12', '1/1', 'Running', '3 (5d ago)', '<unknown>'],
    ],
    [
      'test13: one never restarted, the other 10 days ago',
      pod('test13', { containers: containers(2) }, {
        phase: 'Running',
        containerStatuses: named('c', [{ ready: true, restartCount: 0, state: running }, { ready: true, restartCount: 3, state: running, lastState: lastFinished(10 * D) }]),
      }),
      ['test13', '2/2', 'Running', '3 (10d ago)', '<unknown>'],
    ],
    [
      'test14: the most recent of two restarts gives the age',
      pod('test14', { containers: containers(2) }, {
        phase: 'Running',
        containerStatuses: named('c', [
          { ready: true, restartCount: 6, state: running, lastState: lastFinished(5 * D) },
          { ready: true, restartCount: 3, state: running, lastState: lastFinished(20 * D) },
        ]),
      }),
      ['test14', '2/2', 'Running', '9 (5d ago)', '<unknown>'],
    ],
    [
      'test15: SchedulingGated',
      pod('test15', { containers: containers(2) }, { phase: 'podPhase', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
      ['test15', '0/2', 'SchedulingGated', '0', '<unknown>'],
    ],
    [
      'test16: Succeeded → Completed',
      pod('test16', { containers: containers(1) }, { phase: 'Succeeded', containerStatuses: named('c', [{ ready: false, restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } }]) }),
      ['test16', '0/1', 'Completed', '0', '<unknown>'],
    ],
    [
      'test17: Failed → the container\'s Error',
      pod('test17', { containers: containers(1) }, { phase: 'Failed', containerStatuses: named('c', [{ ready: false, restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 1 } } }]) }),
      ['test17', '0/1', 'Error', '0', '<unknown>'],
    ],
    [
      'test18: a Succeeded pod being deleted stays Completed',
      pod(
        'test18',
        { containers: containers(1) },
        { phase: 'Succeeded', containerStatuses: named('c', [{ ready: false, restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } }]) },
        { deletionTimestamp: ago(10 * S) },
      ),
      ['test18', '0/1', 'Completed', '0', '<unknown>'],
    ],
    [
      'test19: a Running pod being deleted → Terminating',
      pod('test19', { containers: containers(1) }, { phase: 'Running', containerStatuses: named('c', [{ ready: false, restartCount: 0, state: running }]) }, { deletionTimestamp: ago(10 * S) }),
      ['test19', '0/1', 'Terminating', '0', '<unknown>'],
    ],
    [
      'test20: a Pending pod being deleted → Terminating',
      pod('test20', { containers: containers(1) }, { phase: 'Pending' }, { deletionTimestamp: ago(10 * S) }),
      ['test20', '0/1', 'Terminating', '0', '<unknown>'],
    ],
  ];
  it.each(cases)('%s', (_name, p, want) => {
    expect(cells(p)).toEqual(want);
  });
});

describe('printPod: what the lab\'s pods go through', () => {
  const spec = { initContainers: [{ name: 'istio-init' }], containers: [{ name: 'app' }, { name: 'istio-proxy' }] };

  it('Init:0/1 while istio-init runs', () => {
    const p = pod('app', spec, { phase: 'Pending', initContainerStatuses: [{ name: 'istio-init', state: running }], containerStatuses: [] });
    expect(cells(p).slice(1, 3)).toEqual(['0/2', 'Init:0/1']);
  });

  it('PodInitializing once istio-init has exited 0 and the containers wait to start', () => {
    const p = pod('app', spec, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'istio-init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [
        { name: 'app', state: { waiting: { reason: 'PodInitializing' } } },
        { name: 'istio-proxy', state: { waiting: { reason: 'PodInitializing' } } },
      ],
      conditions: [{ type: 'Initialized', status: 'True' }],
    });
    expect(cells(p).slice(1, 3)).toEqual(['0/2', 'PodInitializing']);
  });

  it('an init container waiting with reason PodInitializing still counts as Init:i/n', () => {
    const two = { initContainers: [{ name: 'istio-validation' }, { name: 'istio-init' }], containers: [{ name: 'app' }] };
    const p = pod('app', two, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'istio-validation', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'istio-init', state: { waiting: { reason: 'PodInitializing' } } },
      ],
    });
    expect(cells(p)[2]).toBe('Init:1/2');
  });

  it('Init:CrashLoopBackOff and Init:Error for a failing init container', () => {
    const waiting = pod('app', spec, { phase: 'Pending', initContainerStatuses: [{ name: 'istio-init', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
    expect(cells(waiting)[2]).toBe('Init:CrashLoopBackOff');
    const failed = pod('app', spec, { phase: 'Pending', initContainerStatuses: [{ name: 'istio-init', state: { terminated: { exitCode: 1, reason: 'Error' } } }] });
    expect(cells(failed)[2]).toBe('Init:Error');
    const signalled = pod('app', spec, { phase: 'Pending', initContainerStatuses: [{ name: 'istio-init', state: { terminated: { exitCode: 137, signal: 9 } } }] });
    expect(cells(signalled)[2]).toBe('Init:Signal:9');
  });

  it('Running 2/2 with the sidecar ready, CrashLoopBackOff when the app keeps failing', () => {
    const ok = pod('app', spec, {
      phase: 'Running',
      initContainerStatuses: [{ name: 'istio-init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [
        { name: 'app', ready: true, restartCount: 0, state: running },
        { name: 'istio-proxy', ready: true, restartCount: 0, state: running },
      ],
      conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
    });
    expect(cells(ok).slice(1, 4)).toEqual(['2/2', 'Running', '0']);
    const crashing = pod('app', spec, {
      phase: 'Running',
      initContainerStatuses: [{ name: 'istio-init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: lastFinished(40 * S) },
        { name: 'istio-proxy', ready: true, restartCount: 0, state: running },
      ],
      conditions: [{ type: 'Initialized', status: 'True' }],
    });
    expect(cells(crashing).slice(1, 4)).toEqual(['1/2', 'CrashLoopBackOff', '5 (40s ago)']);
  });

  it('Completed for a finished pod, with its age', () => {
    const p = pod('job', { containers: [{ name: 'app' }] }, { phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, { creationTimestamp: ago(3 * M + 12 * S) });
    expect(cells(p)).toEqual(['job', '0/1', 'Completed', '0', '3m12s']);
  });
});

describe('printPod with restartable init containers (sidecars)', () => {
  const always = (name: string) => ({ name, restartPolicy: 'Always' });
  const spec = { initContainers: [always('restartable-init-1'), always('restartable-init-2')], containers: [{ name: 'c0' }] };

  it('test1: the first running but not started → Init:0/2, READY counts them', () => {
    const p = pod('test1', spec, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'restartable-init-1', ready: false, restartCount: 3, state: running, started: false, lastState: lastFinished(10 * S) },
        { name: 'restartable-init-2', ready: false, state: { waiting: {} }, started: false },
      ],
      containerStatuses: named('c', [{ ready: false, restartCount: 0, state: { waiting: {} } }]),
      conditions: [{ type: 'Initialized', status: 'False' }],
    });
    expect(cells(p)).toEqual(['test1', '0/3', 'Init:0/2', '3 (10s ago)', '<unknown>']);
  });

  it('test1: the first started, the second running but not started → Init:1/2', () => {
    const p = pod('test1', spec, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'restartable-init-1', ready: false, restartCount: 3, state: running, started: true, lastState: lastFinished(10 * S) },
        { name: 'restartable-init-2', ready: false, state: running, started: false },
      ],
      containerStatuses: named('c', [{ ready: false, restartCount: 0, state: { waiting: {} } }]),
      conditions: [{ type: 'Initialized', status: 'False' }],
    });
    expect(cells(p)).toEqual(['test1', '0/3', 'Init:1/2', '3 (10s ago)', '<unknown>']);
  });

  it('test2: both started and the container running → Running, sidecar restarts count', () => {
    const p = pod('test2', spec, {
      phase: 'Running',
      initContainerStatuses: [
        { name: 'restartable-init-1', ready: false, restartCount: 3, state: running, started: true, lastState: lastFinished(10 * S) },
        { name: 'restartable-init-2', ready: false, state: running, started: true },
      ],
      containerStatuses: named('c', [{ ready: true, restartCount: 4, state: running, lastState: lastFinished(20 * S) }]),
      conditions: [{ type: 'Initialized', status: 'True' }],
    });
    expect(cells(p)).toEqual(['test2', '1/3', 'Running', '7 (10s ago)', '<unknown>']);
  });

  it('test3: sidecars killed after the container completed → Completed', () => {
    const p = pod('test3', spec, {
      phase: 'Succeeded',
      initContainerStatuses: [
        { name: 'restartable-init-1', ready: false, restartCount: 3, state: { terminated: { reason: 'Error', exitCode: 137 } }, started: false, lastState: lastFinished(10 * S) },
        { name: 'restartable-init-2', ready: false, state: { terminated: { reason: 'Error', exitCode: 137 } }, started: false },
      ],
      containerStatuses: named('c', [{ ready: false, restartCount: 4, state: { terminated: { reason: 'Completed', exitCode: 0 } }, lastState: lastFinished(20 * S) }]),
      conditions: [{ type: 'Initialized', status: 'True' }],
    });
    expect(cells(p)).toEqual(['test3', '0/3', 'Completed', '7 (10s ago)', '<unknown>']);
  });
});

describe('printPod wide columns (TestPrintPodwide)', () => {
  it('IP, node, nominated node and readiness gates', () => {
    const p = pod(
      'test1',
      { containers: containers(2), nodeName: 'test1', readinessGates: [{ conditionType: 'condition1' }, { conditionType: 'condition2' }, { conditionType: 'condition3' }] },
      {
        conditions: [
          { type: 'condition1', status: 'False' },
          { type: 'condition2', status: 'True' },
        ],
        phase: 'podPhase',
        podIPs: [{ ip: '1.1.1.1' }, { ip: '2001:db8::' }],
        containerStatuses: named('c', [{ ready: true, restartCount: 3, state: running }, { restartCount: 3 }]),
        nominatedNodeName: 'node1',
      },
    );
    expect(podRow(p, NOW)).toEqual(['test1', '1/2', 'podPhase', '6', '<unknown>', '1.1.1.1', 'test1', 'node1', '1/3']);
  });

  it('<none> for what is not set', () => {
    const p = pod('test2', { containers: containers(2) }, { phase: 'podPhase', containerStatuses: named('c', [{ ready: true, restartCount: 3, state: running }, { state: { waiting: { reason: 'ContainerWaitingReason' } }, restartCount: 3 }]) });
    expect(podRow(p, NOW)).toEqual(['test2', '1/2', 'ContainerWaitingReason', '6', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
  });
});

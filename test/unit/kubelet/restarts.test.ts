// The kubelet's restart rules as Kubernetes has them: restartPolicy per exit, and the crash-loop back-off of client-go's flowcontrol.Backoff (10 s doubling to 5 min).
import { describe, expect, it } from 'vitest';
import { backOffMessage, ContainerBackOff, crashLoopWaiting, formatPod, goDuration, shouldRestart } from '../../../src-main/lab/kubelet/restarts';

describe('restartPolicy', () => {
  it('restarts app containers as Always, OnFailure and Never say', () => {
    expect([shouldRestart('Always', 0, 'app'), shouldRestart('Always', 1, 'app')]).toEqual([true, true]);
    expect([shouldRestart('OnFailure', 0, 'app'), shouldRestart('OnFailure', 2, 'app')]).toEqual([false, true]);
    expect([shouldRestart('Never', 0, 'app'), shouldRestart('Never', 1, 'app')]).toEqual([false, false]);
  });

  it('restarts a failed init container unless the policy is Never; a finished one is done; a sidecar always restarts', () => {
    expect([shouldRestart('Always', 1, 'init'), shouldRestart('OnFailure', 1, 'init'), shouldRestart('Never', 1, 'init')]).toEqual([true, true, false]);
    expect(shouldRestart('Always', 0, 'init')).toBe(false);
    expect(shouldRestart('Never', 0, 'sidecar')).toBe(true);
  });
});

describe('crash-loop back-off', () => {
  const s = 1000;

  it('restarts the first exit at once, then holds each exit back for 10 s, 20 s, 40 s … up to 5 min', () => {
    const b = new ContainerBackOff();
    let now = 0;
    expect(b.isInBackOffSince('c', now, now)).toBe(false);
    const windows: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.next('c', now, now); // restarted now
      windows.push(b.get('c') / s);
      now += 1 * s; // it exits a second later
      const exit = now;
      expect(b.isInBackOffSince('c', exit, now)).toBe(true);
      expect(b.isInBackOffSince('c', exit, exit + b.get('c') - 1)).toBe(true);
      expect(b.isInBackOffSince('c', exit, exit + b.get('c'))).toBe(false);
      now = b.retryAt('c', exit);
    }
    expect(windows).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('starts again from 10 s once a container has run longer than twice the maximum', () => {
    const b = new ContainerBackOff();
    b.next('c', 0, 0);
    b.next('c', 15 * s, 15 * s);
    expect(b.get('c')).toBe(20 * s);
    const exit = 15 * s + 601 * s;
    expect(b.isInBackOffSince('c', exit, exit)).toBe(false);
    b.next('c', exit, exit);
    expect(b.get('c')).toBe(10 * s);
  });

  it('forgets the containers of a pod that is gone', () => {
    const b = new ContainerBackOff();
    b.next('uid-1/web', 0, 0);
    b.next('uid-2/web', 0, 0);
    b.forget('uid-1/');
    expect([b.get('uid-1/web'), b.get('uid-2/web')]).toEqual([0, 10 * s]);
  });
});

describe('what the kubelet writes', () => {
  it('prints the window as Go prints a duration, and the messages as kuberuntime writes them', () => {
    expect([10_000, 20_000, 80_000, 160_000, 300_000].map(goDuration)).toEqual(['10s', '20s', '1m20s', '2m40s', '5m0s']);
    const pod = formatPod('crash', 'default', 'u-1');
    expect(pod).toBe('crash_default(u-1)');
    expect(crashLoopWaiting('app', 20_000, pod)).toEqual({
      reason: 'CrashLoopBackOff',
      message: 'back-off 20s restarting failed container=app pod=crash_default(u-1)',
    });
    expect(backOffMessage('app', pod)).toBe('Back-off restarting failed container app in pod crash_default(u-1)');
  });
});

// Init containers one after another, kubelet's back-off after a failure, and a pod left in its init phase.
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { runInitContainers, INIT_BACKOFF_S } from '../../../src-main/lab/runtime/init-containers';
import type { AppRun } from '../../../src-main/lab/runtime/pod-run';

const app = (name: string): AppRun => ({ name, image: 'demo', env: {}, ports: [] });

/** Containers whose runs exit with the given codes, in turn; records every event in `events`. */
function fakeEngine(codes: Record<string, number[]>, events: string[]) {
  return (a: AppRun): Promise<Docker.Container> => {
    events.push(`create ${a.name}`);
    const container = {
      start: () => {
        events.push(`start ${a.name}`);
        return Promise.resolve();
      },
      wait: () => Promise.resolve({ StatusCode: codes[a.name]?.shift() ?? 0 }),
    };
    return Promise.resolve(container as unknown as Docker.Container);
  };
}

describe('runInitContainers', () => {
  it('runs each to completion before creating the next', async () => {
    const events: string[] = [];
    const lines: string[] = [];
    const stuck = await runInitContainers([app('migrate'), app('warm-cache')], fakeEngine({}, events), 'shop/web', (l) => lines.push(l));
    expect(stuck).toBeUndefined();
    expect(events).toEqual(['create migrate', 'start migrate', 'create warm-cache', 'start warm-cache']);
    expect(lines).toEqual(['shop/web: init container migrate completed', 'shop/web: init container warm-cache completed']);
  });

  it('restarts a failed one after the back-off, and goes on once it succeeds', async () => {
    const events: string[] = [];
    const slept: number[] = [];
    const stuck = await runInitContainers([app('wait-db'), app('next')], fakeEngine({ 'wait-db': [1, 0] }, events), 'p', () => undefined, {
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
    });
    expect(stuck).toBeUndefined();
    expect(slept).toEqual([INIT_BACKOFF_S[0] * 1000]);
    expect(events).toEqual(['create wait-db', 'start wait-db', 'start wait-db', 'create next', 'start next']);
  });

  it('stops the pod at one that keeps failing: later ones are never created', async () => {
    const events: string[] = [];
    const lines: string[] = [];
    const stuck = await runInitContainers([app('wait-db'), app('next')], fakeEngine({ 'wait-db': [7, 7, 7, 7] }, events), 'p', (l) => lines.push(l), {
      sleep: () => Promise.resolve(),
    });
    expect(stuck).toEqual({ container: 'wait-db', exitCode: 7 });
    expect(events).not.toContain('create next');
    expect(lines.at(-1)).toMatch(/wait-db exited 7 again: Init:CrashLoopBackOff; its containers are not started/);
  });
});

// The sampler behind live streams: reads on an interval, and at once when woken, one read at a time.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { poller } from '../../../src-main/bridge/stream-hub';

afterEach(() => {
  vi.useRealTimers();
});

/** A read that the test finishes by hand, to see what happens while one is in flight. */
function manualReads() {
  const pending: ((v: number) => void)[] = [];
  let n = 0;
  const read = vi.fn(() => new Promise<number>((resolve) => pending.push(() => resolve(++n))));
  const finish = async () => {
    pending.shift()?.(0);
    await vi.advanceTimersByTimeAsync(0);
  };
  return { read, finish, pending };
}

describe('poller', () => {
  it('reads now and then every interval, emitting only changed values', async () => {
    vi.useFakeTimers();
    const values = [1, 1, 2];
    const read = vi.fn(async () => values.shift() ?? 2);
    const emitted: number[] = [];
    const p = poller(1000, read, (v) => emitted.push(v), () => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(read).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(read).toHaveBeenCalledTimes(3);
    expect(emitted).toEqual([1, 2]);
    p.dispose();
    await vi.advanceTimersByTimeAsync(5000);
    expect(read).toHaveBeenCalledTimes(3);
  });

  it('reads at once when woken while idle, instead of at the next interval', async () => {
    vi.useFakeTimers();
    const { read, finish } = manualReads();
    const emitted: number[] = [];
    const p = poller(60_000, read, (v) => emitted.push(v), () => undefined);
    await finish();
    expect(emitted).toEqual([1]);
    p.wake();
    expect(read).toHaveBeenCalledTimes(2);
    await finish();
    expect(emitted).toEqual([1, 2]);
    p.dispose();
  });

  it('reads once more after the read in flight when woken during it, never two at a time', async () => {
    vi.useFakeTimers();
    const { read, finish, pending } = manualReads();
    const p = poller(60_000, read, () => undefined, () => undefined);
    p.wake();
    p.wake();
    expect(read).toHaveBeenCalledTimes(1);
    expect(pending).toHaveLength(1);
    await finish();
    expect(read).toHaveBeenCalledTimes(2);
    await finish();
    expect(read).toHaveBeenCalledTimes(2);
    p.dispose();
  });

  it('stops after a failed read and reports it', async () => {
    vi.useFakeTimers();
    const read = vi.fn(async () => {
      throw new Error('tap is gone');
    });
    const errors: unknown[] = [];
    const p = poller(1000, read, () => undefined, (e) => errors.push(e));
    await vi.advanceTimersByTimeAsync(5000);
    p.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(read).toHaveBeenCalledTimes(1);
    expect(String(errors[0])).toContain('tap is gone');
  });
});

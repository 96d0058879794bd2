// Which run of a container restarted in place `kubectl logs` and `kubectl logs --previous` read, as the kubelet's validateContainerLogStatus picks it.
import { describe, expect, it } from 'vitest';
import { engineTimestamp, laterSince, logWindow } from '../../../src-main/lab/kubelet/container-logs';

const base = { pod: 'web', container: 'app', running: true };
const restarted = {
  state: { running: { startedAt: '2026-12-07T20:00:05Z' } },
  lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-12-07T20:00:01Z', finishedAt: '2026-12-07T20:00:04Z', containerID: 'docker://abc' } },
};
const t = (text: string): string => engineTimestamp(text);

describe('engineTimestamp', () => {
  it('gives Docker seconds and nanoseconds from an RFC 3339 time, with or without a fraction', () => {
    const s = Date.UTC(2026, 11, 7, 20, 0, 5) / 1000;
    expect(t('2026-12-07T20:00:05.123456789Z')).toBe(`${s}.123456789`);
    expect(t('2026-12-07T20:00:05.5Z')).toBe(`${s}.500000000`);
    expect(t('2026-12-07T20:00:05Z')).toBe(`${s}.000000000`);
    expect(() => t('yesterday')).toThrow(/not an RFC 3339 time: yesterday/);
  });
});

describe('logWindow', () => {
  it('reads the current run only: from the kubelet’s restart', () => {
    expect(logWindow({ ...base, previous: false, status: restarted, restartedAt: '2026-12-07T20:00:04.250Z' })).toEqual({ since: t('2026-12-07T20:00:04.250Z') });
  });

  it('reads the whole log of a container never restarted', () => {
    expect(logWindow({ ...base, previous: false, status: { state: { running: {} }, lastState: {} } })).toEqual({});
  });

  it('--previous reads the run before: from the restart before to the last restart', () => {
    const w = logWindow({ ...base, previous: true, status: restarted, restartedAt: '2026-12-07T20:00:04.250Z', previousRestartedAt: '2026-12-07T20:00:00.9Z' });
    expect(w).toEqual({ since: t('2026-12-07T20:00:00.9Z'), until: t('2026-12-07T20:00:04.250Z') });
    // The first restart: the previous run is the first, from the log's beginning.
    expect(logWindow({ ...base, previous: true, status: restarted, restartedAt: '2026-12-07T20:00:04.250Z' })).toEqual({ until: t('2026-12-07T20:00:04.250Z') });
  });

  it('without the kubelet’s note (a host started again) parts the runs at lastState’s end', () => {
    expect(logWindow({ ...base, previous: true, status: restarted })).toEqual({ until: t('2026-12-07T20:00:04Z') });
    expect(logWindow({ ...base, previous: false, status: restarted })).toEqual({ since: t('2026-12-07T20:00:04Z') });
  });

  it('in CrashLoopBackOff both read the run that just ended, which lastState is', () => {
    const status = { state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: restarted.lastState };
    const just = { since: t('2026-12-07T20:00:04.250Z') };
    const input = { ...base, running: false, status, restartedAt: '2026-12-07T20:00:04.250Z', previousRestartedAt: '2026-12-07T20:00:00.9Z' };
    expect(logWindow({ ...input, previous: true })).toEqual(just);
    expect(logWindow({ ...input, previous: false })).toEqual(just);
    // Held back after its first run: the whole log, either way.
    const first = { ...base, running: false, status };
    expect([logWindow({ ...first, previous: true }), logWindow({ ...first, previous: false })]).toEqual([{}, {}]);
  });

  it('--previous of a container never restarted is Kubernetes’ error', () => {
    const error = { error: 'previous terminated container "app" in pod "web" not found' };
    expect(logWindow({ ...base, previous: true, status: { state: { running: {} }, lastState: {} } })).toEqual(error);
    expect(logWindow({ ...base, previous: true, status: undefined })).toEqual(error);
  });
});

describe('laterSince', () => {
  it('keeps the later start of the user’s --since and the run’s', () => {
    expect(laterSince('100', '99.5')).toBe('100');
    expect(laterSince('100', '100.5')).toBe('100.5');
    expect(laterSince(undefined, '3.1')).toBe('3.1');
    expect(laterSince('3', undefined)).toBe('3');
  });
});

// Which pods `up` waits for: running ones a readiness probe still holds back, not those starting, crashing or finished.
import { describe, expect, it } from 'vitest';
import { awaitingReadiness } from '../../../src-main/cli/wait-ready';
import type { KubeObject } from '../../../src-main/lab/api/objects';

const pod = (name: string, status: Record<string, unknown>, deleting = false): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', ...(deleting ? { deletionTimestamp: '2026-12-07T22:00:00Z' } : {}) },
  status,
});
const running = { running: { startedAt: '2026-12-07T22:00:00Z' } };
const ready = (value: 'True' | 'False') => [{ type: 'Ready', status: value }];

describe('awaitingReadiness', () => {
  it('waits for running pods whose Ready condition is not True, and for no other', () => {
    const pods = [
      pod('probing', { phase: 'Running', containerStatuses: [{ state: running }, { state: running }], conditions: ready('False') }),
      pod('ready', { phase: 'Running', containerStatuses: [{ state: running }], conditions: ready('True') }),
      pod('crashing', { phase: 'Running', containerStatuses: [{ state: running }, { state: { waiting: { reason: 'CrashLoopBackOff' } } }], conditions: ready('False') }),
      pod('in-init', { phase: 'Pending', initContainerStatuses: [{ state: { waiting: {} } }], conditions: ready('False') }),
      pod('done', { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { exitCode: 0 } } }] }),
      pod('going', { phase: 'Running', containerStatuses: [{ state: running }], conditions: ready('False') }, true),
      pod('no-status-yet', { phase: 'Running' }),
    ];
    expect(awaitingReadiness(pods)).toEqual(['default/probing']);
  });
});

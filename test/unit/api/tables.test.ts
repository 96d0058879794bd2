// Server-side printing: duration.HumanDuration against apimachinery's duration_test.go, and the
// meta.k8s.io/v1 Table kube-apiserver sends for `kubectl get`.
import { describe, expect, it } from 'vitest';
import { K } from '../../../src-main/lab/api/kinds';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { humanDuration, since, toTable, wantsTable } from '../../../src-main/lab/api/tables';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

describe('humanDuration (duration.HumanDuration)', () => {
  // TestHumanDuration
  it.each([
    [S, '1s'],
    [70 * S, '70s'],
    [190 * S, '3m10s'],
    [70 * M, '70m'],
    [47 * H, '47h'],
    [49 * H, '2d1h'],
    [(8 * 24 + 2) * H, '8d'],
    [367 * D, '367d'],
    [(365 * 2 * 24 + 25) * H, '2y1d'],
    [(365 * 8 * 24 + 2) * H, '8y'],
  ])('%d ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });

  // TestHumanDurationBoundaries (a nanosecond there is a millisecond here).
  it.each([
    [-2 * S, '<invalid>'],
    [-2 * S + 1, '0s'],
    [0, '0s'],
    [S - 1, '0s'],
    [2 * M - 1, '119s'],
    [2 * M, '2m'],
    [2 * M + S, '2m1s'],
    [10 * M - 1, '9m59s'],
    [10 * M, '10m'],
    [10 * M + S, '10m'],
    [3 * H - 1, '179m'],
    [3 * H, '3h'],
    [3 * H + M, '3h1m'],
    [8 * H - 1, '7h59m'],
    [8 * H, '8h'],
    [8 * H + 59 * M, '8h'],
    [2 * D - 1, '47h'],
    [2 * D, '2d'],
    [2 * D + H, '2d1h'],
    [8 * D - 1, '7d23h'],
    [8 * D, '8d'],
    [8 * D + 23 * H, '8d'],
    [2 * Y - 1, '729d'],
    [2 * Y, '2y'],
    [2 * Y + 23 * H, '2y'],
    [2 * Y + 23 * H + 59 * M, '2y'],
    [2 * Y + D - 1, '2y'],
    [2 * Y + D, '2y1d'],
    [3 * Y, '3y'],
    [4 * Y, '4y'],
    [5 * Y, '5y'],
    [6 * Y, '6y'],
    [7 * Y, '7y'],
    [8 * Y - 1, '7y364d'],
    [8 * Y, '8y'],
    [8 * Y + 364 * D, '8y'],
    [9 * Y, '9y'],
  ])('%d ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });

  it('shows a missing or unreadable timestamp as <unknown> (translateTimestampSince)', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    expect(since(undefined, now)).toBe('<unknown>');
    expect(since('yesterday', now)).toBe('<unknown>');
    expect(since('2026-12-07T09:57:00Z', now)).toBe('3m');
  });
});

describe('Table responses', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'reviews-v1', namespace: 'default', resourceVersion: '42', labels: { app: 'reviews' } },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Pending' },
  };

  it('sends column definitions once, with priority and format defaulted, and a row per object', () => {
    const table = toTable(K.pods.printer, [pod], { resourceVersion: '42', include: 'Metadata', headers: true });
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '42' } });
    const columns = table.columnDefinitions as { name: string; priority: number; format: string }[];
    expect(columns.map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    expect(columns.map((c) => c.priority)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(columns[0].format).toBe('name');
    expect(columns[1].format).toBe('');
    const rows = table.rows as { cells: unknown[]; object?: unknown }[];
    expect(rows).toHaveLength(1);
    expect(rows[0].cells.slice(0, 3)).toEqual(['reviews-v1', '0/1', 'Pending']);
    // includeObject=Metadata (the default): a PartialObjectMetadata per row.
    expect(rows[0].object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
    expect(toTable(K.pods.printer, [pod], { resourceVersion: '42', include: 'Metadata', headers: false }).columnDefinitions).toBeUndefined();
  });

  it('carries the whole object for includeObject=Object and none for None; a continue token when given', () => {
    const whole = toTable(K.pods.printer, [pod], { resourceVersion: '42', include: 'Object', headers: false, continueToken: 'abc' });
    expect((whole.rows as { object: unknown }[])[0].object).toEqual(pod);
    expect(whole.metadata).toEqual({ resourceVersion: '42', continue: 'abc' });
    const bare = toTable(K.pods.printer, [pod], { resourceVersion: '42', include: 'None', headers: false });
    expect((bare.rows as object[])[0]).not.toHaveProperty('object');
  });

  it('recognises the Accept header kubectl sends for tables, and not plain JSON', () => {
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toBe(true);
    expect(wantsTable('application/json; as=Table; v=v1beta1; g=meta.k8s.io')).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
    expect(wantsTable('application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io')).toBe(false);
  });
});

// The window's perf commands without an engine: runs read back from the lab's state dir, exports, and refusals that name the cause.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { perfHandlers } from '../../../src-main/bridge/perf-service';
import type { PerfRun, ProgressLine } from '../../../src-main/contract/types';
import { savePerfRuns } from '../../../src-main/lab/perf/perf-results';
import recorded from '../../fixtures/perf/recorded-run.json';

let dir: string;
let before: string | undefined;
beforeEach(() => {
  before = process.env['SIDECAR_LAB_STATE_DIR'];
  dir = mkdtempSync(join(tmpdir(), 'perf-service-'));
  process.env['SIDECAR_LAB_STATE_DIR'] = dir;
});
afterEach(() => {
  if (before === undefined) delete process.env['SIDECAR_LAB_STATE_DIR'];
  else process.env['SIDECAR_LAB_STATE_DIR'] = before;
  rmSync(dir, { recursive: true, force: true });
});

function handlers(lab: string | undefined) {
  const lines: { kind: ProgressLine['kind']; message: string }[] = [];
  const h = perfHandlers({ currentLab: async () => lab, progress: (kind, message) => lines.push({ kind, message }), captureFollowing: () => false });
  return { h, lines };
}

describe('perf commands', () => {
  it('lists the runs a previous window kept for the lab, and exports them as JSON and CSV', async () => {
    const runs = recorded.runs as PerfRun[];
    savePerfRuns('performance', runs);
    // A new service, as after the window restarted.
    const { h } = handlers('performance');
    expect(await h['perf.results']({})).toEqual(runs);
    const json = await h['perf.export']({ format: 'json' });
    expect(json).toMatchObject({ mimeType: 'application/json', encoding: 'utf8' });
    expect(json.fileName).toMatch(/^perf-performance-.*\.json$/);
    expect(JSON.parse(json.content)).toEqual({ runs });
    const csv = await h['perf.export']({ format: 'csv' });
    expect(csv.fileName).toMatch(/\.csv$/);
    expect(csv.content.trimEnd().split('\r\n')).toHaveLength(1 + runs.reduce((n, r) => n + r.modes.length, 0));
  });

  it('has no runs without a lab, and refuses to export none', async () => {
    expect(await handlers(undefined).h['perf.results']({})).toEqual([]);
    await expect(handlers('performance').h['perf.export']({ format: 'csv' })).rejects.toThrow(/perf.export: no perf run kept for lab performance/);
  });

  it('refuses a run with no lab up, and reports it on the progress stream', async () => {
    const { h, lines } = handlers(undefined);
    await expect(h['perf.run']({ modes: ['baseline'] })).rejects.toThrow(/perf.run: no lab is up; start the `performance` scenario/);
    expect(lines.at(-1)?.kind).toBe('failed');
  });
});

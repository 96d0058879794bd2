// The built-in traffic-flow-performance workshop (the course's performance chapter): its steps measure with `sidecar-lab perf --json`, and their checks read what perf writes and the 8079 flows, never fixed timings.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { perfJson, type ModeResult } from '../../../src-main/lab/perf/summary';
import { evaluateField } from '../../../src-main/workshop/evaluate';
import { allSteps, parseWorkshop } from '../../../src-main/workshop/parse';
import { WORKSHOPS_DIR } from '../../../src-main/workshop/session';
import type { FileCheck, FlowCheck } from '../../../src-main/workshop/types';

const w = parseWorkshop(join(WORKSHOPS_DIR, 'traffic-flow-performance'));

function result(mode: ModeResult['mode'], errors: number, p50: number): ModeResult {
  return { mode, p50, p90: p50, p99: p50, p999: p50, max: p50, avg: p50, qps: 1000, requestedQps: 1000, calls: 5000, errors, skipped: 0, proxies: [], histogram: {} as ModeResult['histogram'] };
}

describe('the traffic-flow-performance workshop', () => {
  it('runs on the performance scenario, one step per measurement', () => {
    expect(w.scenario).toBe('performance');
    expect(allSteps(w).map((s) => s.id)).toEqual(['1.1', '1.2']);
  });

  for (const step of allSteps(w)) {
    describe(`step ${step.id}`, () => {
      const files = step.checks.filter((c): c is FileCheck => c.kind === 'file');
      const flows = step.checks.filter((c): c is FlowCheck => c.kind === 'flow');

      it('its solution writes with `perf --json` the very file its checks read', () => {
        expect(files.length).toBeGreaterThan(0);
        for (const f of files) expect(step.solution).toMatch(new RegExp(`sidecar-lab perf --mode both --mode both-excluded .*--json > ${f.path.replace('.', '\\.')}`));
      });

      it("its file checks pass on perf's own JSON with both modes and no errors, and fail on a failed run or a missing mode, whatever the timings", () => {
        const judge = (doc: string): boolean => files.every((f) => evaluateField(f, JSON.parse(doc), f.path).pass);
        expect(judge(perfJson([result('both', 0, 3.1), result('both-excluded', 0, 0.4)], {}))).toBe(true);
        expect(judge(perfJson([result('both', 0, 0.4), result('both-excluded', 0, 3.1)], {}))).toBe(true);
        expect(judge(perfJson([result('both', 0, 3.1), result('both-excluded', 12, 0.4)], {}))).toBe(false);
        expect(judge(perfJson([result('both', 0, 3.1)], {}))).toBe(false);
      });

      it('judges the excluded port on the flows of both pods', () => {
        const on8079 = flows.filter((f) => f.to === ':8079' && f.namespace === 'mesh');
        expect(on8079.map((f) => `${f.pod}/${f.direction}`).sort()).toEqual(['client/outbound', 'server/inbound']);
      });
    });
  }

  it('before the exclusion both proxies carry port 8079; after it, neither does, through the rule istio-init writes', () => {
    const verdicts = (id: string): string[] => allSteps(w).find((s) => s.id === id)!.checks.flatMap((c) => (c.kind === 'flow' && c.to === ':8079' ? [c.verdict ?? ''] : []));
    expect(verdicts('1.1')).toEqual(['intercepted', 'intercepted']);
    expect(verdicts('1.2')).toEqual(['bypassed', 'bypassed']);
    const rule = allSteps(w)[1].checks.find((c): c is FlowCheck => c.kind === 'flow' && c.pod === 'client' && c.to === ':8079')!.rule;
    expect(rule).toBe('-A ISTIO_OUTPUT -p tcp -m tcp --dport 8079 -j RETURN');
  });
});

// The window's workshop commands on the built-in workshop: list, get with the participant's progress, and refusals.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workshopHandlers } from '../../../src-main/bridge/workshop-service';
import { writeProgress } from '../../../src-main/workshop/progress';

const saved = { ...process.env };
beforeEach(() => {
  process.env['SIDECAR_LAB_STATE_DIR'] = mkdtempSync(join(tmpdir(), 'ws-service-'));
  process.env['SIDECAR_LAB_PARTICIPANT'] = 'ada';
});
afterEach(() => {
  process.env = { ...saved };
});

const handlers = workshopHandlers({ currentLab: async () => undefined, flows: () => [], log: () => {} });

describe('workshop commands', () => {
  it('lists the built-in workshops and shows one with the participant\'s progress', async () => {
    expect(await handlers['workshop.list']({})).toEqual([
      { name: 'traffic-flow', title: 'Traffic flow with Istio sidecar injection' },
      { name: 'traffic-flow-performance', title: 'Performance impact of the sidecar' },
    ]);
    writeProgress({ workshop: 'traffic-flow', current: '4.3', steps: { '4.2': { passedAt: '2026-12-07T13:00:00.000Z', last: { pass: true, at: '2026-12-07T13:00:00.000Z', messages: ['ok'] } } } });
    const w = await handlers['workshop.get']({ name: 'traffic-flow' });
    expect(w.current).toBe('4.3');
    const steps = w.chapters.flatMap((c) => c.steps);
    expect(steps.find((s) => s.id === '4.2')).toMatchObject({ passed: true, last: { pass: true } });
    expect(steps.find((s) => s.id === '4.3')).toMatchObject({ passed: false, title: "Excluding the API server's address" });
    expect(steps.find((s) => s.id === '4.3')?.commands[0]).toContain('iptables -t nat -I ISTIO_OUTPUT 9 -d 10.96.0.1/32 -j RETURN');
  });

  it('takes only built-in names, and needs a lab to check or reset', async () => {
    await expect(handlers['workshop.get']({ name: '../../etc' })).rejects.toThrow('workshop: no built-in workshop ../../etc (traffic-flow, traffic-flow-performance)');
    await expect(handlers['workshop.check']({ name: 'traffic-flow', step: '4.3' })).rejects.toThrow('workshop.check: no lab is up');
    await expect(handlers['workshop.reset']({ name: 'traffic-flow', step: '4.3' })).rejects.toThrow('workshop.reset: no lab is up');
  });
});

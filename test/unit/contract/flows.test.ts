// The flow filter shared by main's store and the window's list.
import { describe, expect, it } from 'vitest';
import { filterFlows, flowMatches } from '../../../src-main/contract/flows';
import { fakeFlows } from '../bridge/fake-lab-service';

describe('flow filters', () => {
  const flows = fakeFlows();
  it('filter by pod, direction, verdict, cluster and response flag, newest first', () => {
    expect(filterFlows(flows, { verdict: 'bypassed' }).map((f) => f.id)).toEqual(['f5', 'f4']);
    expect(filterFlows(flows, { direction: 'inbound' }).map((f) => f.id)).toEqual(['f5', 'f2']);
    expect(filterFlows(flows, { pod: 'sleep-6c7b9f8d4-x2k9p', cluster: 'BlackHole' }).map((f) => f.id)).toEqual(['f3']);
    expect(filterFlows(flows, { responseFlag: 'UF' }).map((f) => f.id)).toEqual(['f6']);
    expect(filterFlows(flows, { limit: 2 }).map((f) => f.id)).toEqual(['f6', 'f5']);
  });
  it("keeps the proxy's own connections out of the app's bypassed flows", () => {
    const own = { ...flows[3], id: 'own', verdict: 'bypassed' as const, proxyOwn: true };
    expect(filterFlows([...flows, own], { verdict: 'bypassed' }).map((f) => f.id)).toEqual(['f5', 'f4']);
    expect(filterFlows([...flows, own], {}).map((f) => f.id)).toContain('own');
  });
  it('a flag filter matches one of several flags', () => {
    expect(flowMatches({ ...flows[0], responseFlags: 'UF,URX' }, { responseFlag: 'URX' })).toBe(true);
    expect(flowMatches({ ...flows[0], responseFlags: '-' }, { responseFlag: 'UF' })).toBe(false);
  });
});

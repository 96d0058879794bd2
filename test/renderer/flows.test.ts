// The flows view: the list with filters, the two live sequence diagrams, and the chosen flow's details.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectFlows, flowState } from '../../src-renderer/src/flows/flow-state.svelte';
import { diagramFor, motionFor } from '../../src-renderer/src/flows/flow-utils';
import FlowsView from '../../src-renderer/src/flows/FlowsView.svelte';
import { fakeFlows } from '../unit/bridge/fake-lab-service';
import { answer, emit } from './setup';

beforeEach(() => {
  flowState.flows = [];
  flowState.selectedId = null;
  flowState.filter = {};
});

const list = () => screen.getByRole('listbox', { name: 'Recent flows' });
const panel = (title: 'Outbound' | 'Inbound') => screen.getByRole('region', { name: `${title} diagram` });
const shownIn = (title: 'Outbound' | 'Inbound') => within(panel(title)).getByRole('img').getAttribute('aria-label');

describe('flow list', () => {
  it('lists recent flows newest first, and new ones from the stream on top', async () => {
    connectFlows();
    render(FlowsView);
    await within(list()).findAllByRole('option');
    const options = () => within(list()).getAllByRole('option');
    expect(options()).toHaveLength(6);
    expect(options()[0].textContent).toContain('10.96.0.1:443');
    emit('flows', '', { ...fakeFlows()[0], id: 'f7', destination: '10.96.0.99:9000' });
    await within(list()).findByText(/10\.96\.0\.99:9000/);
    expect(options()[0].textContent).toContain('10.96.0.99:9000');
  });

  it("shows how many requests a row folded from a load stands for, next to its code", async () => {
    connectFlows();
    render(FlowsView);
    await within(list()).findAllByRole('option');
    emit('flows', '', { ...fakeFlows()[0], id: 'f8', destination: '10.96.0.98:8080', responseCode: 200, responseFlags: '-', requests: 950 });
    const row = await within(list()).findByText(/10\.96\.0\.98:8080/);
    expect(row.closest('[role="option"]')?.textContent).toContain('200 ×950');
  });

  it('filters by verdict, direction, pod, cluster and response flag', async () => {
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    const count = () => within(list()).getAllByRole('option').length;
    await fireEvent.change(screen.getByRole('combobox', { name: 'Verdict' }), { target: { value: 'bypassed' } });
    expect(count()).toBe(2);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Direction' }), { target: { value: 'inbound' } });
    expect(count()).toBe(1);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Verdict' }), { target: { value: '' } });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Direction' }), { target: { value: '' } });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Cluster' }), { target: { value: 'BlackHoleCluster' } });
    expect(within(list()).getByRole('option').textContent).toContain('502 NR');
    await fireEvent.change(screen.getByRole('combobox', { name: 'Cluster' }), { target: { value: '' } });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Response flag' }), { target: { value: 'UF' } });
    expect(count()).toBe(1);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Response flag' }), { target: { value: '' } });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Pod' }), { target: { value: 'httpbin-5d8f7c6b9-q7wzr' } });
    expect(count()).toBe(3);
  });
});

describe("the proxy's own connections", () => {
  const base = fakeFlows()[0];
  const own = {
    ...base, id: 'default/sleep-6c7b9f8d4-x2k9p#31', verdict: 'bypassed' as const, proxyOwn: true, source: '10.244.0.10:51000', destination: '10.96.0.5:15012',
    listener: undefined, cluster: undefined, upstream: undefined, responseCode: undefined, responseFlags: undefined, accessLog: undefined,
    legs: [{ from: 'proxy 10.244.0.10:51000', to: 'destination 10.96.0.5:15012', table: 'nat', chain: 'ISTIO_OUTPUT', ruleNumber: 4, ruleText: '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN' }],
  };
  const bypass = {
    ...own, id: 'default/sleep-6c7b9f8d4-x2k9p#32', proxyOwn: undefined, destination: '10.96.0.20:3306',
    legs: [{ from: 'app 10.244.0.10:51010', to: 'destination 10.96.0.20:3306', table: 'nat', chain: 'ISTIO_OUTPUT', ruleNumber: 2, ruleText: '-A ISTIO_OUTPUT -p tcp --dport 3306 -j RETURN' }],
  };

  it("lists a connection the proxy opened for itself as the proxy's, and a real bypass as the app's", async () => {
    flowState.flows = [own, bypass];
    render(FlowsView);
    const ownRow = within(list()).getByRole('option', { name: /15012/ });
    expect(ownRow.textContent).toContain('istio-proxy');
    expect(ownRow.textContent).not.toMatch(/bypassed|no proxy/);
    const bypassRow = within(list()).getByRole('option', { name: /3306/ });
    expect(bypassRow.textContent).toMatch(/bypassed/);
    expect(bypassRow.textContent).not.toContain('istio-proxy');
    await fireEvent.click(ownRow);
    const details = screen.getByRole('region', { name: 'Flow details' });
    expect(within(details).getByText(/istio-proxy itself/)).toBeTruthy();
    // Its path starts at the proxy, not at the app, and says so.
    expect(shownIn('Outbound')).toMatch(/the proxy's own/);
    const steps = diagramFor('outbound', own).steps;
    expect(steps[0]).toMatchObject({ from: 3, to: 1 });
    expect(steps[1].label).toMatch(/the proxy’s own/);
    expect(diagramFor('outbound', bypass).steps[0]).toMatchObject({ from: 0, to: 1 });
  });

  it('titles the detail with the names as they are, not title-cased', async () => {
    flowState.flows = [own];
    render(FlowsView);
    await fireEvent.click(within(list()).getByRole('option'));
    const title = within(screen.getByRole('region', { name: 'Flow details' })).getByRole('heading', { level: 3 });
    expect(title.textContent?.replace(/\s+/g, ' ').trim()).toMatch(/^Outbound flow default\/sleep-6c7b9f8d4-x2k9p#31 · /);
  });
});

describe('flow details and diagram', () => {
  it('clicking a blocked flow shows its legs, rules, access log and where it ended', async () => {
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    await fireEvent.click(within(list()).getByRole('option', { name: /blocked/ }));
    const details = screen.getByRole('region', { name: 'Flow details' });
    expect(within(details).getByText('BlackHoleCluster')).toBeTruthy();
    const legs = within(details).getByRole('table', { name: 'Legs' });
    expect(within(legs).getAllByRole('row')).toHaveLength(4);
    expect(within(legs).getByText('nat ISTIO_OUTPUT #9')).toBeTruthy();
    expect(within(details).getByLabelText('Access log').textContent).toContain('502 NR route_not_found');
    expect(within(details).getByText(/total 0\.40 ms/)).toBeTruthy();
    const diagram = screen.getByRole('img', { name: /outbound path of flow f3, blocked/ });
    expect(within(diagram).getByLabelText('blocked here')).toBeTruthy();
  });

  it('an inbound flow shows on the inbound diagram, with the inbound lanes', async () => {
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    await fireEvent.click(within(list()).getByRole('option', { name: /intercepted.*10\.244\.0\.10:52110/ }));
    const diagram = within(panel('Inbound')).getByRole('img', { name: /inbound path of flow f2, intercepted/ });
    for (const lane of ['peer', ':15006', '127.0.0.6', 'app']) expect(within(diagram).getByText(lane)).toBeTruthy();
  });

  it('diagrams: bypassed flows skip the proxy lanes, blocked ones end where blocked', () => {
    const [out, , blocked, bypassedOut, bypassedIn] = fakeFlows();
    expect(diagramFor('outbound', out).steps.map((s) => [s.from, s.to])).toEqual([[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]);
    expect(diagramFor('outbound', bypassedOut)).toMatchObject({ skipped: [2, 3], steps: [{ from: 0, to: 1 }, { from: 1, to: 4 }] });
    expect(diagramFor('inbound', bypassedIn)).toMatchObject({ skipped: [2, 3, 4], steps: [{}, { from: 1, to: 5 }] });
    expect(diagramFor('outbound', blocked).blockedAt).toBe(3);
    // A DNS lookup is a datagram: no SYN to draw.
    expect(diagramFor('outbound', { ...bypassedOut, protocol: 'udp', destination: '10.96.0.10:53' }).steps[0].label).toBe('UDP → 10.96.0.10:53');
    expect(diagramFor('outbound', out).steps[0].label).toMatch(/^SYN → /);
    expect(diagramFor('outbound', { ...blocked, listener: undefined, cluster: undefined }).blockedAt).toBe(1);
  });
});

describe('the two live diagrams', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('shows the outbound and the inbound diagram at once, each waiting for its first flow', () => {
    render(FlowsView);
    for (const title of ['Outbound', 'Inbound'] as const) {
      expect(within(panel(title)).getByRole('heading', { name: new RegExp(`^${title}`) })).toBeTruthy();
      expect(within(panel(title)).getByText(`waiting for the first ${title.toLowerCase()} flow…`)).toBeTruthy();
    }
    expect(shownIn('Outbound')).toBe('outbound path');
    expect(within(panel('Outbound')).getByText(':15001')).toBeTruthy();
    expect(shownIn('Inbound')).toBe('inbound path');
    expect(within(panel('Inbound')).getByText(':15006')).toBeTruthy();
  });

  it('a new outbound flow from the stream becomes the outbound diagram, the inbound one keeps its own', async () => {
    answer('flows.list', () => []);
    render(FlowsView);
    connectFlows();
    // The first flow finds the diagram free (it was waiting), so it is drawn at once.
    emit('flows', '', { ...fakeFlows()[0], id: 'f7', destination: '10.96.0.99:9000' });
    await within(panel('Outbound')).findByRole('img', { name: 'outbound path of flow f7, intercepted' });
    const caption = within(panel('Outbound')).getByRole('figure');
    for (const part of ['sleep-6c7b9f8d4-x2k9p', '10.244.0.10:41234 → 10.96.0.99:9000', 'intercepted', 'outbound|8000||httpbin.default.svc.cluster.local', '200']) {
      expect(within(caption).getByText(part, { selector: 'figcaption span, figcaption b' })).toBeTruthy();
    }
    expect(within(panel('Inbound')).getByText('waiting for the first inbound flow…')).toBeTruthy();
    // The packet is a new element for the new flow, sent along the path from the first lane.
    expect(within(panel('Outbound')).getByLabelText('packet').dataset.path).toMatch(/^M 60 76 L /);
  });

  it('while a flow runs along the diagram, newer ones wait; at its end the newest takes over', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const [f1, f2] = fakeFlows();
      flowState.flows = [{ ...f1, id: 'a1' }];
      render(FlowsView);
      expect(shownIn('Outbound')).toBe('outbound path of flow a1, intercepted');
      flowState.flows = [{ ...f1, id: 'a3' }, { ...f1, id: 'a2' }, { ...f1, id: 'a1', responseCode: 503, responseFlags: 'UF' }];
      flushSync();
      // Still a1, with its update (the response) drawn at once; a2 and a3 wait.
      expect(shownIn('Outbound')).toBe('outbound path of flow a1, intercepted');
      expect(within(panel('Outbound')).getByText('503 UF', { selector: 'figcaption span' })).toBeTruthy();
      // The other direction is not held by this one.
      flowState.flows = [{ ...f2, id: 'b1', direction: 'inbound' }, ...flowState.flows];
      flushSync();
      expect(shownIn('Inbound')).toMatch(/^inbound path of flow b1/);

      vi.advanceTimersByTime(4000);
      flushSync();
      // a2 is skipped: it is in the list, the diagram shows the newest.
      expect(shownIn('Outbound')).toBe('outbound path of flow a3, intercepted');
    } finally {
      vi.useRealTimers();
    }
  });

  it('follows the newest flow the filters keep', async () => {
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Verdict' }), { target: { value: 'blocked' } });
    expect(shownIn('Outbound')).toBe('outbound path of flow f3, blocked');
    expect(within(panel('Inbound')).getByText('waiting for the first inbound flow that matches the filters…')).toBeTruthy();
  });

  it('a selected flow holds its diagram until "Follow live", the other diagram stays live', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    await fireEvent.click(within(list()).getByRole('option', { name: /blocked/ }));
    expect(shownIn('Outbound')).toBe('outbound path of flow f3, blocked');
    expect(within(panel('Outbound')).getByText('selected')).toBeTruthy();
    expect(within(panel('Inbound')).getByText('live')).toBeTruthy();
    expect(within(panel('Inbound')).queryByRole('button', { name: 'Follow live' })).toBeNull();
    flowState.flows = [{ ...fakeFlows()[0], id: 'f8' }, { ...fakeFlows()[1], id: 'f9' }, ...flowState.flows];
    vi.advanceTimersByTime(4000);
    flushSync();
    vi.useRealTimers();
    expect(shownIn('Inbound')).toBe('inbound path of flow f9, intercepted');
    expect(shownIn('Outbound')).toBe('outbound path of flow f3, blocked');

    await fireEvent.click(within(panel('Outbound')).getByRole('button', { name: 'Follow live' }));
    expect(shownIn('Outbound')).toBe('outbound path of flow f8, intercepted');
    expect(within(panel('Outbound')).getByText('live')).toBeTruthy();
    expect(flowState.selectedId).toBeNull();
    expect(screen.queryByRole('region', { name: 'Flow details' })).toBeNull();
  });

  it('bypassed flows mark the proxy lanes skipped; intercepted ones skip nothing', () => {
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    // f5 (inbound, port 15021 not captured) is the newest inbound flow.
    const inbound = within(panel('Inbound'));
    for (const lane of [':15006', 'istio-proxy', '127.0.0.6']) expect(inbound.getByLabelText(`${lane}, skipped`)).toBeTruthy();
    expect(inbound.getByLabelText('app')).toBeTruthy();
    expect(inbound.getByText('RETURN: port not captured', { selector: 'text' })).toBeTruthy();
    const outbound = within(panel('Outbound'));
    expect(outbound.queryByLabelText(/skipped/)).toBeNull();
  });

  it('a blocked flow ends at the blocked marker, with its response', async () => {
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    expect(within(panel('Outbound')).queryByLabelText('blocked here')).toBeNull();
    await fireEvent.click(within(list()).getByRole('option', { name: /blocked/ }));
    const mark = within(panel('Outbound')).getByLabelText('blocked here');
    expect(mark.textContent).toBe('blocked · 502 NR');
    expect(mark.querySelector('circle')?.getAttribute('cx')).toBe(within(panel('Outbound')).getByLabelText('istio-proxy').querySelector('line')?.getAttribute('x1'));
  });

  it('draws no moving packet when the user prefers reduced motion', () => {
    vi.stubGlobal('matchMedia', (query: string) => ({ matches: query.includes('reduce'), media: query, addEventListener() {}, removeEventListener() {} }));
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    expect(shownIn('Outbound')).toBe('outbound path of flow f6, intercepted');
    expect(within(panel('Outbound')).queryByLabelText('packet')).toBeNull();
  });

  it('times the packet at a steady pace and each arrow as the packet reaches it', () => {
    const motion = motionFor([{ from: 0, to: 1, label: '' }, { from: 1, to: 2, label: '' }], [0, 300, 600], (row) => row * 100);
    expect(motion.path).toBe('M 0 0 L 300 0 L 300 100 L 600 100');
    expect(motion.seconds).toBeCloseTo(700 / 450);
    expect(motion.steps[0].start).toBe(0);
    expect(motion.steps[1].start).toBeCloseTo((400 / 700) * motion.seconds);
    expect(motion.steps[1].seconds).toBeCloseTo((300 / 700) * motion.seconds);
  });
});

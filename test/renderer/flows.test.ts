// The flows view: the list with filters, the sequence diagram of the chosen flow, and its details.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { connectFlows, flowState } from '../../src-renderer/src/flows/flow-state.svelte';
import { diagramFor } from '../../src-renderer/src/flows/flow-utils';
import FlowsView from '../../src-renderer/src/flows/FlowsView.svelte';
import { fakeFlows } from '../unit/bridge/fake-lab-service';
import { emit } from './setup';

beforeEach(() => {
  flowState.flows = [];
  flowState.selectedId = null;
  flowState.filter = {};
});

const list = () => screen.getByRole('listbox', { name: 'Recent flows' });

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

  it('an inbound flow switches the diagram to the inbound lanes', async () => {
    flowState.flows = fakeFlows().reverse();
    render(FlowsView);
    await fireEvent.click(within(list()).getByRole('option', { name: /intercepted.*10\.244\.0\.10:52110/ }));
    const diagram = screen.getByRole('img', { name: /inbound path of flow f2, intercepted/ });
    for (const lane of ['peer', ':15006', '127.0.0.6', 'app']) expect(within(diagram).getByText(lane)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'inbound', pressed: true })).toBeTruthy();
  });

  it('diagrams: bypassed flows skip the proxy lanes, blocked ones end where blocked', () => {
    const [out, , blocked, bypassedOut, bypassedIn] = fakeFlows();
    expect(diagramFor('outbound', out).steps.map((s) => [s.from, s.to])).toEqual([[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]);
    expect(diagramFor('outbound', bypassedOut)).toMatchObject({ skipped: [2, 3], steps: [{ from: 0, to: 1 }, { from: 1, to: 4 }] });
    expect(diagramFor('inbound', bypassedIn)).toMatchObject({ skipped: [2, 3, 4], steps: [{}, { from: 1, to: 5 }] });
    expect(diagramFor('outbound', blocked).blockedAt).toBe(3);
    expect(diagramFor('outbound', { ...blocked, listener: undefined, cluster: undefined }).blockedAt).toBe(1);
  });
});

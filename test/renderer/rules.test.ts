// The rules view: tables as chains with live counters, the selected flow's rules marked, restore and diff.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { flowState } from '../../src-renderer/src/flows/flow-state.svelte';
import { labState } from '../../src-renderer/src/lab-state.svelte';
import RulesView from '../../src-renderer/src/rules/RulesView.svelte';
import { fakeFlows, fakeRules, fakeStatus } from '../unit/bridge/fake-lab-service';
import { emit, labMock, subscribed } from './setup';

const SLEEP = 'sleep-6c7b9f8d4-x2k9p';
const KEY = `default/${SLEEP}`;

beforeEach(() => {
  labState.status = fakeStatus();
  labState.selectedPod = null;
  flowState.flows = fakeFlows().reverse();
  flowState.selectedId = null;
});

function ruleRow(chain: string, number: number): HTMLElement {
  const section = screen.getByRole('region', { name: `nat ${chain}` });
  const row = within(section)
    .getAllByRole('row')
    .find((r) => r.querySelector('td')?.textContent === String(number));
  if (!row) throw new Error(`no rule ${chain} #${number}`);
  return row;
}

describe('rules', () => {
  it("follows the first sidecar pod's counters and shows its nat chains", async () => {
    render(RulesView);
    expect(subscribed('rules.counters', KEY)).toBe(true);
    emit('rules.counters', KEY, fakeRules('default', SLEEP, 0));
    await screen.findByRole('region', { name: 'nat ISTIO_REDIRECT' });
    expect(within(ruleRow('ISTIO_REDIRECT', 1)).getByText('-p tcp -j REDIRECT --to-ports 15001')).toBeTruthy();
    expect(within(ruleRow('ISTIO_OUTPUT', 9)).getAllByRole('cell')[1].textContent).toBe('40');
    emit('rules.counters', KEY, fakeRules('default', SLEEP, 5));
    await waitFor(() => expect(within(ruleRow('ISTIO_OUTPUT', 9)).getAllByRole('cell')[1].textContent).toBe('55'));
    expect(screen.getByRole('tab', { name: /nat 18/ }).getAttribute('aria-selected')).toBe('true');
  });

  it('marks the rules the selected flow hit', async () => {
    flowState.selectedId = 'f1';
    render(RulesView);
    emit('rules.counters', KEY, fakeRules('default', SLEEP, 0));
    await screen.findByRole('region', { name: 'nat ISTIO_OUTPUT' });
    const marked = screen.getAllByRole('row').filter((r) => r.getAttribute('aria-current') === 'true');
    expect(marked.map((r) => r.querySelector('.rule')?.textContent)).toEqual([
      '-j ISTIO_OUTPUT',
      '-p tcp -j REDIRECT --to-ports 15001',
      '-j ISTIO_REDIRECT',
    ]);
  });

  it("restores istio-init's rules and shows the diff against them", async () => {
    render(RulesView);
    await fireEvent.click(screen.getByRole('button', { name: "Restore istio-init's rules" }));
    expect(labMock().invoke).toHaveBeenCalledWith('rules.restore', { pod: SLEEP, namespace: 'default' });
    await fireEvent.click(screen.getByRole('button', { name: 'Diff against istio-init' }));
    const diff = await screen.findByRole('region', { name: "Diff against istio-init's rules" });
    expect(within(diff).getByText('− -A ISTIO_OUTPUT -j ISTIO_REDIRECT')).toBeTruthy();
    expect(within(diff).getByText('+ -A ISTIO_OUTPUT -p tcp --dport 8000 -j RETURN')).toBeTruthy();
  });

  it('switching pods moves the counters subscription', async () => {
    render(RulesView);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Pod' }), { target: { value: 'default/httpbin-5d8f7c6b9-q7wzr' } });
    expect(subscribed('rules.counters', 'default/httpbin-5d8f7c6b9-q7wzr')).toBe(true);
    expect(subscribed('rules.counters', KEY)).toBe(false);
  });
});

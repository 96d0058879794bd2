// The window's view, scenario choice and flow filter kept in localStorage between runs, and defaults when storage is bad.
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../src-renderer/src/App.svelte';
import { flowState } from '../../src-renderer/src/flows/flow-state.svelte';
import { labState } from '../../src-renderer/src/lab-state.svelte';
import { loadUiPrefs, UI_PREFS_KEY } from '../../src-renderer/src/ui-prefs';
import { fakeFlows } from '../unit/bridge/fake-lab-service';
import { answer } from './setup';

/** What a new window process starts with before anything is restored. */
function freshProcess(): void {
  labState.view = 'topology';
  labState.scenarioChoice = { source: 'builtin', name: '', file: '' };
  labState.selectedPod = null;
  labState.error = null;
  flowState.filter = {};
  flowState.selectedId = null;
}

beforeEach(() => {
  freshProcess();
  labState.status = null;
  answer('lab.status', () => null);
  answer('flows.list', () => fakeFlows());
});

afterEach(() => {
  vi.restoreAllMocks();
});

const tab = (name: string) => screen.getByRole('tab', { name: new RegExp(`^${name}`) });
const combobox = (name: string) => screen.getByRole('combobox', { name }) as HTMLSelectElement;
const selectedText = (name: string) => combobox(name).selectedOptions[0]?.textContent;

/** Closes the window and opens it again as a new run would: nothing but localStorage carries over. */
async function reopen(): Promise<void> {
  cleanup();
  freshProcess();
  render(App);
  await screen.findByRole('tab', { name: /^Topology/ });
}

/** The built-in scenarios come from `scenarios.list`, after the first render. */
const scenariosListed = () => screen.findByRole('option', { name: 'registry-only' });

describe('UI prefs', () => {
  it('reopens on the last view, with the YAML file path and the flow filter chosen', async () => {
    render(App);
    const yaml = (await screen.findByRole('option', { name: 'YAML file…' })) as HTMLOptionElement;
    await fireEvent.change(combobox('Scenario'), { target: { value: yaml.value } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'YAML file path' }), {
      target: { value: '/home/me/customer/pod.yaml' },
    });
    await fireEvent.click(tab('Flows'));
    await fireEvent.change(await screen.findByRole('combobox', { name: 'Direction' }), {
      target: { value: 'inbound' },
    });
    await fireEvent.change(combobox('Verdict'), { target: { value: 'blocked' } });

    await reopen();
    expect(tab('Flows').getAttribute('aria-selected')).toBe('true');
    expect(tab('Topology').getAttribute('aria-selected')).toBe('false');
    expect(combobox('Direction').value).toBe('inbound');
    expect(combobox('Verdict').value).toBe('blocked');
    await fireEvent.click(tab('Topology'));
    await scenariosListed();
    expect(selectedText('Scenario')).toBe('YAML file…');
    expect(
      (screen.getByRole('textbox', { name: 'YAML file path' }) as HTMLInputElement).value,
    ).toBe('/home/me/customer/pod.yaml');
  });

  it('reopens on the built-in scenario chosen, and the file typed before is still there when picking "YAML file…" again', async () => {
    render(App);
    const yaml = (await screen.findByRole('option', { name: 'YAML file…' })) as HTMLOptionElement;
    await fireEvent.change(combobox('Scenario'), { target: { value: yaml.value } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'YAML file path' }), {
      target: { value: '/srv/pod.yaml' },
    });
    await fireEvent.change(combobox('Scenario'), { target: { value: 'registry-only' } });
    await fireEvent.click(tab('Rules'));

    await reopen();
    expect(tab('Rules').getAttribute('aria-selected')).toBe('true');
    await fireEvent.click(tab('Topology'));
    await scenariosListed();
    expect(selectedText('Scenario')).toBe('registry-only');
    expect(screen.queryByRole('textbox', { name: 'YAML file path' })).toBeNull();
    await fireEvent.change(combobox('Scenario'), { target: { value: yaml.value } });
    expect(
      (screen.getByRole('textbox', { name: 'YAML file path' }) as HTMLInputElement).value,
    ).toBe('/srv/pod.yaml');
  });

  it('keeps neither the selected pod nor the selected flow', async () => {
    render(App);
    await screen.findByRole('option', { name: 'registry-only' });
    labState.selectedPod = 'default/sleep-7c9d8b6f5-x2x4p';
    flowState.selectedId = 'f1';
    await fireEvent.click(tab('Flows'));
    const saved = JSON.parse(localStorage.getItem(UI_PREFS_KEY) ?? 'null') as Record<
      string,
      unknown
    >;
    expect(Object.keys(saved).sort()).toEqual(['filter', 'scenario', 'view']);
    expect(saved['view']).toBe('flows');
    expect(JSON.stringify(saved)).not.toMatch(/sleep-7c9d8b6f5|"f1"/);
  });

  it('opens with defaults when the saved prefs are corrupt JSON', async () => {
    localStorage.setItem(UI_PREFS_KEY, '{"view":"flows",');
    await reopen();
    await scenariosListed();
    expect(tab('Topology').getAttribute('aria-selected')).toBe('true');
    expect(selectedText('Scenario')).toBe('interception');
    expect(screen.queryByRole('textbox', { name: 'YAML file path' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Start lab' })).toBeTruthy();
  });

  it('opens with defaults for the fields of the wrong shape, and keeps the good ones', async () => {
    localStorage.setItem(
      UI_PREFS_KEY,
      JSON.stringify({
        view: 'settings',
        scenario: { source: 'ftp', name: 'registry-only' },
        filter: { direction: 'inbound', verdict: 'maybe', pod: 5, limit: 3 },
      }),
    );
    await reopen();
    await scenariosListed();
    expect(tab('Topology').getAttribute('aria-selected')).toBe('true');
    expect(selectedText('Scenario')).toBe('interception');
    expect(flowState.filter).toEqual({ direction: 'inbound' });
    await fireEvent.click(tab('Flows'));
    expect(combobox('Direction').value).toBe('inbound');
    expect(combobox('Verdict').value).toBe('');
  });

  it('falls back to the first built-in when the one remembered is no longer listed', async () => {
    localStorage.setItem(
      UI_PREFS_KEY,
      JSON.stringify({
        view: 'topology',
        scenario: { source: 'builtin', name: 'gone', file: '' },
        filter: {},
      }),
    );
    await reopen();
    await scenariosListed();
    expect(selectedText('Scenario')).toBe('interception');
    expect((screen.getByRole('button', { name: 'Start lab' }) as HTMLButtonElement).disabled).toBe(
      false,
    );
  });

  it('works, without remembering, when storage is blocked', async () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    const setItem = vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    expect(loadUiPrefs()).toEqual({});
    await reopen();
    await fireEvent.click(tab('Flows'));
    expect(setItem).toHaveBeenCalled();
    expect(tab('Flows').getAttribute('aria-selected')).toBe('true');
  });
});

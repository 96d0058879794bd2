// The topology view: pods with their containers' states, Services, and starting/stopping a lab with progress.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../../src-renderer/src/App.svelte';
import PodCard from '../../src-renderer/src/topology/PodCard.svelte';
import { labState } from '../../src-renderer/src/lab-state.svelte';
import { createFakeLabService, fakeStatus } from '../unit/bridge/fake-lab-service';
import { answer, emit, labMock } from './setup';

beforeEach(() => {
  labState.scenarioChoice = { source: 'builtin', name: '', file: '' };
  labState.error = null;
});

/** Picks "YAML file…" in the Scenario select by its label, not by the value it happens to carry. */
async function chooseYamlFile(): Promise<HTMLInputElement> {
  const option = (await screen.findByRole('option', { name: 'YAML file…' })) as HTMLOptionElement;
  await fireEvent.change(screen.getByRole('combobox', { name: 'Scenario' }), { target: { value: option.value } });
  return screen.getByRole('textbox', { name: 'YAML file path' }) as HTMLInputElement;
}

describe('topology', () => {
  it('shows namespaces, pods with IPs and container states, and Services with ClusterIPs', async () => {
    render(App);
    const sleep = await screen.findByRole('article', { name: /default\/sleep-/ });
    expect(within(sleep).getByText('10.244.0.10')).toBeTruthy();
    const containers = within(sleep).getByRole('list', { name: 'Containers' });
    expect(within(containers).getAllByRole('listitem').map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'istio-init done',
      'istio-proxy ready',
      'sleep running',
    ]);
    const apiserver = screen.getByRole('article', { name: 'Pod kube-system/kube-apiserver' });
    expect(within(apiserver).queryByText('istio-proxy')).toBeNull();
    expect(within(apiserver).getByText(/none \(traffic is not intercepted\)/)).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Namespace kube-system' })).toBeTruthy();
    const services = screen.getByRole('table', { name: 'Services' });
    const httpbin = within(services).getByText('httpbin').closest('tr') as HTMLElement;
    expect(within(httpbin).getByText('10.96.0.20')).toBeTruthy();
    expect(within(httpbin).getByText('http 8000→80/TCP')).toBeTruthy();
  });

  it("shows Kubernetes' reason when a pod is not ready: CrashLoopBackOff on the card and on the failing container", async () => {
    const base = fakeStatus().pods[0];
    const pod = {
      ...base,
      ready: false,
      status: 'CrashLoopBackOff',
      restarts: 3,
      containers: base.containers.map((c) => (c.role === 'app' ? { ...c, state: 'waiting', dockerName: '', reason: 'CrashLoopBackOff' } : c)),
    };
    render(PodCard, { pod, services: [] });
    const card = screen.getByRole('article', { name: /default\/sleep-/ });
    expect(within(card).getByText('CrashLoopBackOff', { selector: '.chip' }).getAttribute('title')).toBe('3 restarts');
    const app = within(within(card).getByRole('list', { name: 'Containers' })).getByText('sleep').closest('li') as HTMLElement;
    expect(app.className).toContain('failed');
    expect(app.textContent).toContain('CrashLoopBackOff');
  });

  it('starts the chosen built-in scenario and shows progress lines while it starts', async () => {
    labState.status = null;
    answer('lab.status', () => null);
    let finish: (v: { lab: string }) => void = () => {};
    answer('lab.start', () => new Promise((resolve) => (finish = resolve)));
    render(App);
    const start = await screen.findByRole('button', { name: 'Start lab' });
    await screen.findByRole('option', { name: 'registry-only' });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Scenario' }), { target: { value: 'registry-only' } });
    await fireEvent.click(start);
    expect(labMock().invoke).toHaveBeenCalledWith('lab.start', { scenario: 'registry-only' });
    expect(await screen.findByRole('button', { name: 'Starting…' })).toBeTruthy();
    emit('lab.progress', '', { time: '2025-01-01T10:00:00.000Z', kind: 'step', image: 'proxy', message: 'Step 2/5 : RUN npm ci' });
    emit('lab.progress', '', { time: '2025-01-01T10:00:01.000Z', kind: 'log', message: 'pod default/sleep ready (10.244.0.10, with sidecar)' });
    const log = await screen.findByRole('log', { name: 'Progress' });
    expect(await within(log).findByText('Step 2/5 : RUN npm ci')).toBeTruthy();
    expect(within(log).getByText(/pod default\/sleep ready/)).toBeTruthy();
    answer('lab.status', () => null);
    finish({ lab: 'interception' });
    expect(await screen.findByRole('button', { name: 'Start lab' })).toBeTruthy();
  });

  it('stops the lab, and shows a failed start as an alert', async () => {
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: 'Stop lab' }));
    expect(labMock().invoke).toHaveBeenCalledWith('lab.stop', {});
    answer('lab.start', () => Promise.reject(Object.assign(new Error('broken.yaml:3:1: unknown kind Podd'), { name: 'ScenarioError' })));
    await fireEvent.click(await screen.findByRole('button', { name: 'Start lab' }));
    expect((await screen.findByRole('alert')).textContent).toContain('unknown kind Podd');
  });

  it('starts from a YAML file by the path typed, with the same Start button', async () => {
    labState.status = null;
    answer('lab.status', () => null);
    render(App);
    await screen.findByRole('option', { name: 'registry-only' });
    expect(screen.queryByRole('textbox', { name: 'YAML file path' })).toBeNull();
    const path = await chooseYamlFile();
    expect(path.placeholder).toBe('/home/me/customer/pod.yaml');
    const start = screen.getByRole('button', { name: 'Start lab' }) as HTMLButtonElement;
    expect(start.disabled).toBe(true);
    await fireEvent.input(path, { target: { value: '  /home/me/customer/pod.yaml ' } });
    expect(start.disabled).toBe(false);
    await fireEvent.click(start);
    expect(labMock().invoke).toHaveBeenCalledWith('lab.start', { scenario: '/home/me/customer/pod.yaml' });
    expect(labMock().invoke).not.toHaveBeenCalledWith('lab.start', { scenario: 'interception' });
  });

  it('starts the file on Enter in the path, and shows a bad file as an alert next to the controls, keeping the path', async () => {
    labState.status = null;
    answer('lab.status', () => null);
    answer('lab.start', () => Promise.reject(Object.assign(new Error('/home/me/pod.yaml:7:3: unknown kind Podd'), { name: 'ScenarioError' })));
    render(App);
    const path = await chooseYamlFile();
    await fireEvent.input(path, { target: { value: '/home/me/pod.yaml' } });
    await fireEvent.keyDown(path, { key: 'Enter' });
    expect(labMock().invoke).toHaveBeenCalledWith('lab.start', { scenario: '/home/me/pod.yaml' });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('/home/me/pod.yaml:7:3: unknown kind Podd');
    const controls = screen.getByRole('region', { name: 'Lab controls' });
    expect(controls.nextElementSibling).toBe(alert);
    expect((screen.getByRole('textbox', { name: 'YAML file path' }) as HTMLInputElement).value).toBe('/home/me/pod.yaml');
    expect(screen.getByRole('button', { name: 'Start lab' })).toBeTruthy();
  });

  it('switching back to a built-in scenario hides the path and starts the built-in', async () => {
    labState.status = null;
    answer('lab.status', () => null);
    render(App);
    const path = await chooseYamlFile();
    await fireEvent.input(path, { target: { value: '/tmp/x.yaml' } });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Scenario' }), { target: { value: 'registry-only' } });
    expect(screen.queryByRole('textbox', { name: 'YAML file path' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Start lab' }));
    expect(labMock().invoke).toHaveBeenCalledWith('lab.start', { scenario: 'registry-only' });
    expect(labMock().invoke).not.toHaveBeenCalledWith('lab.start', { scenario: '/tmp/x.yaml' });
  });

  it('says whether quitting the app removes the lab: only when this window started it', async () => {
    const fake = createFakeLabService();
    const status = await fake['lab.status']({});
    labState.status = null;
    answer('lab.status', () => ({ ...status, startedHere: true }));
    render(App);
    const controls = await screen.findByRole('region', { name: 'Lab controls' });
    expect((await within(controls).findByRole('note')).textContent).toMatch(/started from this window: quitting the app removes it/i);
    cleanup();
    labState.status = null;
    answer('lab.status', () => ({ ...status, startedHere: false }));
    render(App);
    const again = await screen.findByRole('region', { name: 'Lab controls' });
    expect((await within(again).findByRole('note')).textContent).toMatch(/started outside this window: quitting the app leaves it running/i);
  });
});

// The Guide: a workshop's steps, the Check button with the explanation of a failure and of a pass, reset, hint and solution.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import GuideView from '../../src-renderer/src/guide/GuideView.svelte';
import { labState } from '../../src-renderer/src/lab-state.svelte';
import { terminalState } from '../../src-renderer/src/terminal/terminal-state.svelte';
import { fakeStatus } from '../unit/bridge/fake-lab-service';
import { answer, labMock } from './setup';

describe('guide', () => {
  it('opens on the current step and lists every step with its state', async () => {
    render(GuideView);
    const steps = await screen.findByRole('navigation', { name: 'Steps' });
    expect(within(steps).getByRole('button', { name: /4\.2 The Kubernetes API server, by default/ }).textContent).toContain('✓');
    expect(within(steps).getByRole('button', { name: /4\.3 Excluding/ }).textContent).toContain('○');
    const article = screen.getByRole('article', { name: 'Step 4.3' });
    expect(within(article).getByText('iptables -t nat -I ISTIO_OUTPUT 9 -d 10.96.0.1/32 -j RETURN')).toBeTruthy();
  });

  it('shows inline code in the prose and the hint as code, not as backticks', async () => {
    render(GuideView);
    const article = await screen.findByRole('article', { name: 'Step 4.3' });
    const prose = within(article).getByText(/then call the API again/);
    expect(prose.textContent).toBe('Add the rule to ISTIO_OUTPUT, then call the API again.');
    expect(prose.querySelector('code')?.textContent).toBe('ISTIO_OUTPUT');
    await fireEvent.click(within(article).getByRole('button', { name: 'Hint' }));
    const hint = within(article).getByText(/Insert it before/);
    expect(hint.querySelector('code')?.textContent).toBe('ISTIO_REDIRECT');
  });

  it('Check says why the step failed, then that it passed', async () => {
    render(GuideView);
    await fireEvent.click(await screen.findByRole('button', { name: 'Check' }));
    const failed = await screen.findByRole('region', { name: 'Check result' });
    expect(failed.textContent).toContain('✗ Your last request to 10.96.0.1:443 from sleep was intercepted; it was expected to be bypassed.');
    expect(failed.textContent).toContain('Not done yet.');
    expect(labMock().invoke).toHaveBeenCalledWith('workshop.check', { name: 'traffic-flow', step: '4.3' });

    answer('workshop.check', () => ({
      step: '4.3',
      outcome: 'passed',
      results: [{ pass: true, message: 'Your last request to 10.96.0.1:443 from sleep bypassed the proxy through the rule `-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN`.' }],
      current: '5.1',
    }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Check' }));
    const passed = await screen.findByText(/bypassed the proxy through the rule/);
    expect(passed.closest('section')?.textContent).toContain('Step done.');
  });

  it('resets the step, and shows the hint and the solution on demand', async () => {
    render(GuideView);
    await fireEvent.click(await screen.findByRole('button', { name: 'Reset this step' }));
    expect(labMock().invoke).toHaveBeenCalledWith('workshop.reset', { name: 'traffic-flow', step: '4.3' });
    await fireEvent.click(screen.getByRole('button', { name: 'Hint' }));
    expect(screen.getByText(/Insert it before/).textContent).toBe('Insert it before the jump to ISTIO_REDIRECT.');
    await fireEvent.click(screen.getByRole('button', { name: 'Show solution' }));
    expect(screen.getAllByText('iptables -t nat -I ISTIO_OUTPUT 9 -d 10.96.0.1/32 -j RETURN').length).toBe(2);
  });

  it("Run types a block's commands into the cluster shell, opening one first, and the Guide stays in view", async () => {
    terminalState.tabs = [];
    labState.view = 'guide';
    labState.status = { ...fakeStatus(), source: 'api' };
    answer('terminal.openCluster', () => ({ id: 'cluster-1' }));
    render(GuideView);
    const article = await screen.findByRole('article', { name: 'Step 4.3' });
    await fireEvent.click(within(article).getByRole('button', { name: 'Run' }));
    await vi.waitFor(() =>
      expect(labMock().invoke).toHaveBeenCalledWith('terminal.write', { id: 'cluster-1', data: 'iptables -t nat -I ISTIO_OUTPUT 9 -d 10.96.0.1/32 -j RETURN\r' }),
    );
    expect(labMock().invoke).toHaveBeenCalledWith('terminal.openCluster', {});
    expect(labState.view).toBe('guide');
    // A second Run reuses the shell.
    await fireEvent.click(within(article).getByRole('button', { name: 'Run' }));
    await vi.waitFor(() => expect(labMock().invoke.mock.calls.filter(([c]) => c === 'terminal.write')).toHaveLength(2));
    expect(labMock().invoke.mock.calls.filter(([c]) => c === 'terminal.openCluster')).toHaveLength(1);
  });

  it('switches to another workshop from its picker, opening it on its current step', async () => {
    answer('workshop.list', () => [
      { name: 'traffic-flow', title: 'Traffic flow with Istio sidecar injection' },
      { name: 'traffic-flow-performance', title: 'What the sidecar costs' },
    ]);
    const perf = {
      name: 'traffic-flow-performance',
      title: 'What the sidecar costs',
      description: '',
      scenario: 'performance',
      current: '1.2',
      chapters: [
        {
          number: 1,
          title: 'Measure',
          intro: '',
          steps: [
            { id: '1.1', title: 'Both sidecars', body: 'Measure.', commands: [], hint: null, solution: 'sidecar-lab perf', passed: true },
            { id: '1.2', title: 'Exclude the port', body: 'Exclude it.', commands: [], hint: null, solution: 'kubectl annotate', passed: false },
          ],
        },
      ],
    };
    const flow = { ...perf, name: 'traffic-flow', title: 'Traffic flow with Istio sidecar injection', scenario: 'interception', current: '1.1' };
    answer('workshop.get', (args: { name: string }) => (args.name === perf.name ? perf : flow));
    render(GuideView);
    const picker = await screen.findByRole('combobox', { name: 'Workshop' });
    await fireEvent.change(picker, { target: { value: 'traffic-flow-performance' } });
    expect(await screen.findByRole('article', { name: 'Step 1.2' })).toBeTruthy();
    expect(labMock().invoke).toHaveBeenCalledWith('workshop.get', { name: 'traffic-flow-performance' });
  });
});

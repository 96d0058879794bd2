// Terminal tabs with a stubbed xterm (jsdom has no canvas): open, data written and acked, input sent, close.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { labState } from '../../src-renderer/src/lab-state.svelte';
import TerminalView from '../../src-renderer/src/terminal/TerminalView.svelte';
import { terminalState } from '../../src-renderer/src/terminal/terminal-state.svelte';
import { fakeStatus } from '../unit/bridge/fake-lab-service';
import { answer, emit, labMock } from './setup';

const terminals = vi.hoisted(() => [] as { written: string[]; input?: (data: string) => void; disposed: boolean; fitted: number }[]);

vi.mock('@xterm/xterm', () => ({
  Terminal: class {
    cols = 80;
    rows = 24;
    state = { written: [] as string[], input: undefined as ((d: string) => void) | undefined, disposed: false, fitted: 0 };
    constructor() {
      terminals.push(this.state);
    }
    loadAddon(addon: { activate?: (t: unknown) => void }) {
      addon.activate?.(this);
    }
    private area: HTMLTextAreaElement | undefined;
    /** Like xterm: a hidden textarea in the host takes the keys. */
    open(host: HTMLElement) {
      this.area = document.createElement('textarea');
      this.area.setAttribute('aria-label', 'Terminal input');
      host.appendChild(this.area);
    }
    focus() {
      this.area?.focus();
    }
    write(data: string, done?: () => void) {
      this.state.written.push(data);
      done?.();
    }
    onData(fn: (d: string) => void) {
      this.state.input = fn;
      return { dispose: () => {} };
    }
    attachCustomKeyEventHandler() {}
    hasSelection() {
      return false;
    }
    getSelection() {
      return '';
    }
    paste() {}
    dispose() {
      this.state.disposed = true;
    }
  },
}));
vi.mock('@xterm/addon-fit', () => ({ FitAddon: class { fit() {} } }));

beforeEach(() => {
  // Tabs are module state: each test starts with none.
  terminalState.tabs = [];
  terminalState.activeId = null;
  labState.status = fakeStatus();
  labState.selectedPod = null;
  terminals.length = 0;
});

describe('terminal tabs', () => {
  it("opens a shell in the pod's tap, writes and acks its output, sends typed input, closes its pty", async () => {
    answer('terminal.open', () => ({ id: 'term-1' }));
    render(TerminalView);
    await fireEvent.click(screen.getByRole('button', { name: 'New shell' }));
    expect(labMock().invoke).toHaveBeenCalledWith('terminal.open', { pod: 'sleep-6c7b9f8d4-x2k9p', namespace: 'default', container: 'tap' });
    const tab = await screen.findByRole('tab', { name: 'sleep-6c7b9f8d4-x2k9p · tap' });
    expect(tab.getAttribute('aria-selected')).toBe('true');
    expect(terminals).toHaveLength(1);

    emit('terminal.data', 'term-1', 'root@sleep:/# ');
    expect(terminals[0].written).toEqual(['root@sleep:/# ']);
    expect(labMock().invoke).toHaveBeenCalledWith('terminal.ack', { id: 'term-1', bytes: 14 });

    terminals[0].input?.('ls\r');
    expect(labMock().invoke).toHaveBeenCalledWith('terminal.write', { id: 'term-1', data: 'ls\r' });

    emit('terminal.exit', 'term-1', { exitCode: 0 });
    expect(await screen.findByRole('tab', { name: /\(exited\)/ })).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Close sleep-6c7b9f8d4-x2k9p · tap' }));
    expect(labMock().invoke).toHaveBeenCalledWith('terminal.close', { id: 'term-1' });
    expect(screen.queryByRole('tab')).toBeNull();
    expect(terminals[0].disposed).toBe(true);
  });

  it('opens one tab per shell, in the container chosen', async () => {
    let n = 0;
    answer('terminal.open', () => ({ id: `term-${++n}` }));
    render(TerminalView);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Container' }), { target: { value: 'istio-proxy' } });
    await fireEvent.click(screen.getByRole('button', { name: 'New shell' }));
    await fireEvent.change(screen.getByRole('combobox', { name: 'Pod' }), { target: { value: 'default/httpbin-5d8f7c6b9-q7wzr' } });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Container' }), { target: { value: 'tap' } });
    await fireEvent.click(screen.getByRole('button', { name: 'New shell' }));
    const tabs = within(screen.getByRole('tablist', { name: 'Terminals' })).getAllByRole('tab');
    expect(tabs.map((t) => t.getAttribute('aria-label'))).toEqual(['sleep-6c7b9f8d4-x2k9p · istio-proxy', 'httpbin-5d8f7c6b9-q7wzr · tap']);
    expect(tabs[1].getAttribute('aria-selected')).toBe('true');
    await fireEvent.click(tabs[0]);
    expect(tabs[0].getAttribute('aria-selected')).toBe('true');
  });

  it('gives the new shell the keyboard, so the next Enter goes to it and not to "New shell"', async () => {
    let n = 0;
    answer('terminal.open', () => ({ id: `term-${++n}` }));
    render(TerminalView);
    const button = screen.getByRole('button', { name: 'New shell' });
    button.focus();
    await fireEvent.click(button);
    await screen.findByRole('tab', { name: 'sleep-6c7b9f8d4-x2k9p · tap' });
    await vi.waitFor(() => expect(document.activeElement?.getAttribute('aria-label')).toBe('Terminal input'));
    expect(document.activeElement?.closest('[role="tabpanel"]')).toBeTruthy();
  });

  it('shows pod and container on one tab line, a long pod name shortened in the middle with the full name on hover', async () => {
    answer('terminal.open', () => ({ id: 'term-1' }));
    render(TerminalView);
    await fireEvent.click(screen.getByRole('button', { name: 'New shell' }));
    const tab = await screen.findByRole('tab', { name: 'sleep-6c7b9f8d4-x2k9p · tap' });
    expect(tab.textContent?.trim()).toBe('sleep-6c7b…8d4-x2k9p · tap');
    expect(tab.getAttribute('title')).toBe('default/sleep-6c7b9f8d4-x2k9p · tap');
  });

  it('opens the cluster shell once the lab serves its Kubernetes API', async () => {
    answer('terminal.openCluster', () => ({ id: 'cluster-1' }));
    labState.status = { ...fakeStatus(), source: 'engine' };
    render(TerminalView);
    const button = screen.getByRole('button', { name: 'Cluster shell' });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    labState.status = { ...fakeStatus(), source: 'api' };
    await vi.waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(button);
    expect(labMock().invoke).toHaveBeenCalledWith('terminal.openCluster', {});
    const tab = await screen.findByRole('tab', { name: 'cluster shell' });
    expect(tab.getAttribute('aria-selected')).toBe('true');
    expect(tab.getAttribute('title')).toMatch(/kubectl, istioctl and sidecar-lab/);
  });

  it("suggests requests to the running scenario's own Services at the ports they listen on", async () => {
    const status = fakeStatus();
    // As in the interception scenario: httpbin's Service listens on port 80.
    status.services = status.services.map((s) => (s.name === 'httpbin' ? { ...s, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }] } : s));
    labState.status = status;
    render(TerminalView);
    const hint = screen.getByText(/No terminal open/);
    const codes = within(hint).getAllByText((_, el) => el?.tagName === 'CODE').map((c) => c.textContent);
    expect(codes).toEqual(['tap', 'iptables -t nat -S', 'curl -s httpbin.default/', 'curl -s external.external/', 'kubectl get pods', 'istioctl proxy-config listener POD']);
    expect(hint.textContent).not.toContain(':8000');
  });
});

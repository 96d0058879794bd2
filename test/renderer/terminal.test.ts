// Terminal tabs with a stubbed xterm (jsdom has no canvas): open, data written and acked, input sent, close.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { labState } from '../../src-renderer/src/lab-state.svelte';
import TerminalView from '../../src-renderer/src/terminal/TerminalView.svelte';
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
    open() {}
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
    const tab = await screen.findByRole('tab', { name: 'sleep-6c7b9f8d4-x2k9p' });
    expect(tab.getAttribute('aria-selected')).toBe('true');
    expect(terminals).toHaveLength(1);

    emit('terminal.data', 'term-1', 'root@sleep:/# ');
    expect(terminals[0].written).toEqual(['root@sleep:/# ']);
    expect(labMock().invoke).toHaveBeenCalledWith('terminal.ack', { id: 'term-1', bytes: 14 });

    terminals[0].input?.('ls\r');
    expect(labMock().invoke).toHaveBeenCalledWith('terminal.write', { id: 'term-1', data: 'ls\r' });

    emit('terminal.exit', 'term-1', { exitCode: 0 });
    expect(await screen.findByRole('tab', { name: /\(exited\)/ })).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Close sleep-6c7b9f8d4-x2k9p' }));
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
    expect(tabs.map((t) => t.textContent?.trim())).toEqual(['sleep-6c7b9f8d4-x2k9p · istio-proxy', 'httpbin-5d8f7c6b9-q7wzr']);
    expect(tabs[1].getAttribute('aria-selected')).toBe('true');
    await fireEvent.click(tabs[0]);
    expect(tabs[0].getAttribute('aria-selected')).toBe('true');
  });
});

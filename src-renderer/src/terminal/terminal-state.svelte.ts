// The open terminal tabs; each tab is one pty in main, closed with its tab.
import type { TerminalTarget } from '../../../src-main/contract/types';
import { lab } from '../lab-client';
import { labState } from '../lab-state.svelte';

export interface TerminalTab {
  id: string;
  title: string;
  /** The pod's container the shell runs in; null for the cluster shell on this machine. */
  target: TerminalTarget | null;
  exited: boolean;
}

class TerminalState {
  tabs = $state<TerminalTab[]>([]);
  activeId = $state<string | null>(null);
  error = $state<string | null>(null);
}

export const terminalState = new TerminalState();

async function addTab(open: () => Promise<{ id: string }>, title: string, target: TerminalTarget | null): Promise<void> {
  terminalState.error = null;
  try {
    const { id } = await open();
    terminalState.tabs = [...terminalState.tabs, { id, title, target, exited: false }];
    terminalState.activeId = id;
    // The Guide shows the terminals beside it: stay there.
    if (labState.view !== 'guide') labState.view = 'terminal';
  } catch (err) {
    terminalState.error = err instanceof Error ? err.message : String(err);
  }
}

export function openTerminal(target: TerminalTarget): Promise<void> {
  return addTab(() => lab().invoke('terminal.open', target), `${target.pod} · ${target.container}`, target);
}

/** A shell on this machine where kubectl, istioctl and sidecar-lab talk to the lab. */
export function openClusterShell(): Promise<void> {
  return addTab(() => lab().invoke('terminal.openCluster', {}), 'cluster shell', null);
}

/** Types commands into the cluster shell (opening one when none is open), as a paste does: one line each. */
export async function runInClusterShell(text: string): Promise<void> {
  const live = (): TerminalTab | undefined => terminalState.tabs.find((t) => t.target === null && !t.exited);
  if (!live()) await openClusterShell();
  const tab = live();
  if (!tab) return;
  terminalState.activeId = tab.id;
  try {
    await lab().invoke('terminal.write', { id: tab.id, data: `${text.trimEnd().replace(/\r?\n/g, '\r')}\r` });
  } catch (err) {
    terminalState.error = err instanceof Error ? err.message : String(err);
  }
}

export function closeTerminal(id: string): void {
  const index = terminalState.tabs.findIndex((t) => t.id === id);
  terminalState.tabs = terminalState.tabs.filter((t) => t.id !== id);
  if (terminalState.activeId === id) terminalState.activeId = terminalState.tabs[Math.max(0, index - 1)]?.id ?? null;
  lab()
    .invoke('terminal.close', { id })
    .catch(() => {
      // Already gone in main (the shell exited): nothing left to close.
    });
}

export function markExited(id: string): void {
  terminalState.tabs = terminalState.tabs.map((t) => (t.id === id ? { ...t, exited: true } : t));
}

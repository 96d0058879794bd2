// Renderer tests never touch IPC: `window.lab` is a vi.fn() mock answering from the fake lab, streams fed by `emit`.
import { cleanup } from '@testing-library/svelte';
import { afterEach, beforeEach, vi } from 'vitest';
import type { LabApi, StreamHandlers } from '../../src-main/contract/api';
import type { CommandName, StreamName, StreamPayload } from '../../src-main/contract/commands';
import { resetLabClient } from '../../src-renderer/src/lab-client';
import { createFakeLabService } from '../unit/bridge/fake-lab-service';
import { installMatchMedia } from './canvas-stub';

installMatchMedia();

type Answer = (args: never) => unknown;

const listeners = new Map<string, Set<StreamHandlers<unknown>>>();
let answers: Partial<Record<CommandName, Answer>> = {};

/** Sends a stream event to whatever the views subscribed. */
export function emit<S extends StreamName>(stream: S, key: string, payload: StreamPayload<S>): void {
  for (const h of listeners.get(`${stream}\u0000${key}`) ?? []) h.data(payload);
}

export function subscribed(stream: StreamName, key: string): boolean {
  return (listeners.get(`${stream}\u0000${key}`)?.size ?? 0) > 0;
}

/** Overrides what a command answers in this test (default: the fake lab's answer). */
export function answer<C extends CommandName>(command: C, fn: (args: never) => unknown): void {
  answers[command] = fn as Answer;
}

export function labMock(): { invoke: ReturnType<typeof vi.fn>; on: ReturnType<typeof vi.fn> } {
  return window.lab as unknown as { invoke: ReturnType<typeof vi.fn>; on: ReturnType<typeof vi.fn> };
}

beforeEach(() => {
  // The window restores its view, scenario and flow filter from here: no test may start from another's.
  localStorage.clear();
  const fake = createFakeLabService();
  answers = {};
  listeners.clear();
  const invoke = vi.fn(async (command: CommandName, args: unknown) => {
    const own = answers[command];
    if (own) return own(args as never);
    if (command.startsWith('terminal.')) return command === 'terminal.open' ? { id: `t-${Math.random().toString(36).slice(2, 8)}` } : null;
    return (fake[command as Exclude<CommandName, `terminal.${string}`>] as (a: unknown) => Promise<unknown>)(args);
  });
  const on = vi.fn((stream: StreamName, key: string, handlers: StreamHandlers<unknown>) => {
    const id = `${stream}\u0000${key}`;
    const set = listeners.get(id) ?? new Set();
    listeners.set(id, set);
    set.add(handlers);
    return vi.fn(() => set.delete(handlers));
  });
  window.lab = { invoke, on } as unknown as LabApi;
  resetLabClient();
});

afterEach(() => {
  cleanup();
});

// Messages of the WebSocket bridge (and the shape of events on the Electron IPC channel).
import type { CommandName, StreamName } from './commands';
import type { PackedError } from './errors';

export type ClientMessage =
  | { token: string }
  | { id: number; command: CommandName; args: unknown }
  | { id: number; subscribe: StreamName; key: string }
  | { id: number; unsubscribe: StreamName; key: string };

export type StreamEventType = 'data' | 'error' | 'end';

export interface StreamEvent {
  stream: StreamName;
  key: string;
  type: StreamEventType;
  /** data: the stream's payload; error: a PackedError; end: absent. */
  payload?: unknown;
}

export type ServerMessage =
  | { id: number; result: unknown }
  | { id: number; error: PackedError }
  | StreamEvent
  | { ready: true };

/** Close code for a connection without the right token (HTTP 401, in the 4000 range WebSocket leaves to applications). */
export const CLOSE_UNAUTHORIZED = 4401;

/** IPC channel names of the Electron side: one per command, one for events, two for subscriptions. */
export const IPC = {
  command: (name: CommandName) => `lab:${name}`,
  event: 'lab:event',
  subscribe: 'lab:subscribe',
  unsubscribe: 'lab:unsubscribe',
} as const;

/** What an IPC command handler answers: thrown errors lose their message in Electron, so they are returned packed. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: PackedError };

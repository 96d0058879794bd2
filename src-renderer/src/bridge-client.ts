// The contract over the WebSocket bridge, for a window opened in a plain browser (no Electron preload).
import type { Dispose, LabApi, StreamHandlers } from '../../src-main/contract/api';
import type { CommandName, StreamName } from '../../src-main/contract/commands';
import { isPackedError, unpackError } from '../../src-main/contract/errors';
import type { ServerMessage } from '../../src-main/contract/wire';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** The subset of the browser's WebSocket the client uses, so tests can pass `ws`'s. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
}

export interface BridgeClient extends LabApi {
  close(): void;
}

const OPEN = 1;

/** Connects to `ws://host:port/?token=…`; commands sent before the bridge is ready wait for it. */
export function connectBridge(url: string, makeSocket: (url: string) => SocketLike = (u) => new WebSocket(u) as unknown as SocketLike): BridgeClient {
  const socket = makeSocket(url);
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<StreamHandlers<unknown>>>();
  const queue: string[] = [];
  let ready = false;
  let closedWith: Error | undefined;
  let nextId = 1;

  const send = (message: object) => {
    const text = JSON.stringify(message);
    if (ready && socket.readyState === OPEN) socket.send(text);
    else queue.push(text);
  };
  const request = (message: object): Promise<unknown> => {
    if (closedWith) return Promise.reject(closedWith);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      send({ id, ...message });
    });
  };
  const ignore = () => {};

  socket.onmessage = (ev) => {
    const message = JSON.parse(String(ev.data)) as ServerMessage;
    if ('ready' in message) {
      ready = true;
      for (const text of queue.splice(0)) socket.send(text);
      return;
    }
    if ('stream' in message) {
      const id = `${message.stream}\u0000${message.key}`;
      const set = listeners.get(id);
      if (!set) return;
      if (message.type === 'data') for (const h of set) h.data(message.payload);
      else {
        listeners.delete(id);
        const err = isPackedError(message.payload) ? unpackError(message.payload) : undefined;
        for (const h of set) {
          if (err) h.error?.(err);
          else h.end?.();
        }
      }
      return;
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if ('error' in message) waiting.reject(unpackError(message.error));
    else waiting.resolve(message.result);
  };
  socket.onclose = (ev) => {
    closedWith = new Error(`the lab bridge closed the connection (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
    closedWith.name = ev.code === 4401 ? 'UnauthorizedError' : 'BridgeClosedError';
    for (const p of pending.values()) p.reject(closedWith);
    pending.clear();
    for (const set of listeners.values()) for (const h of set) h.error?.(closedWith);
    listeners.clear();
  };

  return {
    invoke<C extends CommandName>(command: C, args: unknown) {
      return request({ command, args }) as never;
    },
    on<S extends StreamName>(stream: S, key: string, handlers: StreamHandlers<never>): Dispose {
      const id = `${stream}\u0000${key}`;
      let set = listeners.get(id);
      if (!set) {
        set = new Set();
        listeners.set(id, set);
        request({ subscribe: stream, key }).catch((err: Error) => {
          listeners.delete(id);
          for (const h of set ?? []) h.error?.(err);
        });
      }
      const mine = handlers as StreamHandlers<unknown>;
      set.add(mine);
      return () => {
        const current = listeners.get(id);
        if (!current?.delete(mine) || current.size > 0) return;
        listeners.delete(id);
        if (!closedWith) request({ unsubscribe: stream, key }).catch(ignore);
      };
    },
    close() {
      socket.close(1000);
    },
  };
}

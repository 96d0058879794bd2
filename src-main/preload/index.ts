// Preload: `window.lab`, the contract over ipcRenderer (invoke for commands, events for streams), errors rebuilt.
import { contextBridge, ipcRenderer } from 'electron';
import type { Dispose, LabApi, StreamHandlers } from '../contract/api';
import type { CommandName, StreamName } from '../contract/commands';
import { isPackedError, unpackError } from '../contract/errors';
import { IPC, type IpcReply, type StreamEvent } from '../contract/wire';

const listeners = new Map<string, Set<StreamHandlers<unknown>>>();
const idOf = (stream: string, key: string) => `${stream}\u0000${key}`;

ipcRenderer.on(IPC.event, (_event, message: StreamEvent) => {
  const id = idOf(message.stream, message.key);
  const set = listeners.get(id);
  if (!set) return;
  if (message.type === 'data') {
    for (const h of set) h.data(message.payload);
    return;
  }
  listeners.delete(id);
  const err = isPackedError(message.payload) ? unpackError(message.payload) : undefined;
  for (const h of set) {
    if (err) h.error?.(err);
    else h.end?.();
  }
});

const lab: LabApi = {
  async invoke<C extends CommandName>(command: C, args: unknown) {
    const reply = (await ipcRenderer.invoke(IPC.command(command), args)) as IpcReply;
    if (!reply.ok) throw unpackError(reply.error);
    return reply.result as never;
  },
  on<S extends StreamName>(stream: S, key: string, handlers: StreamHandlers<never>): Dispose {
    const id = idOf(stream, key);
    let set = listeners.get(id);
    if (!set) {
      set = new Set();
      listeners.set(id, set);
      ipcRenderer.send(IPC.subscribe, { stream, key });
    }
    const mine = handlers as StreamHandlers<unknown>;
    set.add(mine);
    return () => {
      const current = listeners.get(id);
      if (!current?.delete(mine) || current.size > 0) return;
      listeners.delete(id);
      ipcRenderer.send(IPC.unsubscribe, { stream, key });
    };
  },
};

contextBridge.exposeInMainWorld('lab', lab);

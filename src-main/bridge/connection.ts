// One client of the contract (a window or a WebSocket): validates, routes terminals to node-pty, tracks what to undo.
import type { Dispose, LabService, ServiceCommandName, StreamSink } from '../contract/api';
import type { CommandName, StreamName } from '../contract/commands';
import type { TerminalExit } from '../contract/types';
import { validateCommand } from '../contract/validate';
import { TerminalSessions, type TerminalSessionsOptions } from './terminal-sessions';

export interface LabConnection {
  /** Checks the arguments, then runs the command; rejects with a ContractArgsError naming the field. */
  call(command: unknown, args: unknown): Promise<unknown>;
  /** At most one subscription per stream and key; a second one for the same pair replaces the first. */
  subscribe(stream: StreamName, key: string, sink: StreamSink<unknown>): void;
  unsubscribe(stream: StreamName, key: string): void;
  /** The client went away: every subscription disposed, every terminal killed. */
  close(): void;
  readonly terminals: TerminalSessions;
}

const subscriptionKey = (stream: StreamName, key: string) => `${stream}\u0000${key}`;

export function openConnection(service: LabService, terminalOptions: TerminalSessionsOptions = {}): LabConnection {
  const terminals = new TerminalSessions(terminalOptions);
  const subscriptions = new Map<string, Dispose>();
  let closed = false;

  async function run(command: CommandName, args: unknown): Promise<unknown> {
    switch (command) {
      case 'terminal.open': {
        const target = args as { pod: string; namespace: string; container: string };
        const program = await service.terminalCommand(target);
        if (closed) throw new Error('terminal.open: the connection closed while the terminal was starting');
        return { id: terminals.open(program) };
      }
      case 'terminal.openCluster': {
        const program = await service.clusterShellCommand();
        if (closed) throw new Error('terminal.openCluster: the connection closed while the shell was starting');
        return { id: terminals.open(program) };
      }
      case 'terminal.write': {
        const a = args as { id: string; data: string };
        terminals.write(a.id, a.data);
        return null;
      }
      case 'terminal.resize': {
        const a = args as { id: string; cols: number; rows: number };
        terminals.resize(a.id, a.cols, a.rows);
        return null;
      }
      case 'terminal.ack': {
        const a = args as { id: string; bytes: number };
        terminals.ack(a.id, a.bytes);
        return null;
      }
      case 'terminal.close':
        terminals.close((args as { id: string }).id);
        return null;
      default: {
        // The validator has checked the arguments against this command's type.
        const handler = service[command as ServiceCommandName] as (a: unknown) => Promise<unknown>;
        return handler.call(service, args);
      }
    }
  }

  return {
    terminals,
    async call(command, args) {
      const checked = validateCommand(command, args);
      return run(checked.command, checked.args);
    },
    subscribe(stream, key, sink) {
      const id = subscriptionKey(stream, key);
      subscriptions.get(id)?.();
      // Removing itself once ended keeps the map to what is live.
      let ended = false;
      const tracked: StreamSink<unknown> = {
        data: (p) => sink.data(p),
        error: (err) => {
          ended = true;
          subscriptions.delete(id);
          sink.error(err);
        },
        end: () => {
          ended = true;
          subscriptions.delete(id);
          sink.end();
        },
      };
      let dispose: Dispose;
      if (stream === 'terminal.data') dispose = terminals.listen(key, 'data', tracked as StreamSink<string>);
      else if (stream === 'terminal.exit') dispose = terminals.listen(key, 'exit', tracked as StreamSink<TerminalExit>);
      else dispose = service.subscribe(stream, key, tracked as StreamSink<never>);
      // A stream that ended while subscribing (an exited terminal) has nothing left to dispose later.
      if (closed || ended) dispose();
      else subscriptions.set(id, dispose);
    },
    unsubscribe(stream, key) {
      const id = subscriptionKey(stream, key);
      subscriptions.get(id)?.();
      subscriptions.delete(id);
    },
    close() {
      closed = true;
      for (const dispose of subscriptions.values()) dispose();
      subscriptions.clear();
      terminals.closeAll();
    },
  };
}

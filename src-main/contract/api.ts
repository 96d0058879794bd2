// The two faces of the contract: `LabApi` is what the renderer holds, `LabService` what main implements.
import type { CommandArgs, CommandName, CommandResult, StreamName, StreamPayload } from './commands';
import type { TerminalTarget } from './types';

export type Dispose = () => void;

/** What a subscriber receives; `error` and `end` close the stream. */
export interface StreamHandlers<T> {
  data(payload: T): void;
  error?(err: Error): void;
  end?(): void;
}

/** `window.lab`: the one object the renderer uses, from the preload or over the WebSocket bridge. */
export interface LabApi {
  invoke<C extends CommandName>(command: C, args: CommandArgs<C>): Promise<CommandResult<C>>;
  on<S extends StreamName>(stream: S, key: string, handlers: StreamHandlers<StreamPayload<S>>): Dispose;
}

/** The producer side of a stream: every call carries the subscription's stream and key. */
export interface StreamSink<T> {
  data(payload: T): void;
  error(err: unknown): void;
  end(): void;
}

/** Terminals are run by the bridge (node-pty); the service only says which program a terminal runs. */
export type ServiceCommandName = Exclude<CommandName, `terminal.${string}`>;
export type ServiceStreamName = Exclude<StreamName, `terminal.${string}`>;

export type LabServiceCommands = {
  [C in ServiceCommandName]: (args: CommandArgs<C>) => Promise<CommandResult<C>>;
};

export interface TerminalCommand {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface LabService extends LabServiceCommands {
  terminalCommand(target: TerminalTarget): Promise<TerminalCommand>;
  /** The cluster shell: bash on this machine, its kubectl, istioctl and sidecar-lab pointed at the lab. */
  clusterShellCommand(): Promise<TerminalCommand>;
  subscribe<S extends ServiceStreamName>(stream: S, key: string, sink: StreamSink<StreamPayload<S>>): Dispose;
  /** Stops polling and timers (the window or the bridge is going away); does not stop the lab. */
  dispose?(): void;
}

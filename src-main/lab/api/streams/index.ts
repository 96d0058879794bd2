// What the lab's API server uses of the streaming endpoints: one handler per upgrade, and their types.
export { handleAttach, handleExec, type ExecOptions, type ExecOutcome, type ExecSession, type TerminalSize } from './exec';
export { handlePortForward, type PortForwardOptions } from './portforward';
export type { ForwardOptions } from './port-forwarder';

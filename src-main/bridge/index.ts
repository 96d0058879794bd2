// The bridge: the contract over WebSocket for browsers and the command line, and the pieces Electron's main reuses.
export { startBridge, type Bridge, type BridgeOptions } from './server';
export { openConnection, type LabConnection } from './connection';
export { TerminalSessions, OutputBatcher } from './terminal-sessions';
export { createLabService, type LabServiceHandle, type LabServiceOptions } from './lab-service';

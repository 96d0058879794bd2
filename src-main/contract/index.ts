// The one typed contract shared by main, preload, the bridge and the renderer.
export type * from './types';
export type * from './api';
export * from './commands';
export * from './errors';
export * from './wire';
export { ContractArgsError, validateArgs, validateCommand } from './validate';
export { filterFlows, flowMatches } from './flows';

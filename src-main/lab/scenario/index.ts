// Public surface of the scenario parser.
export type * from './types';
export { ScenarioError, posAt, innerPosAt, pointer } from './errors';
export { parseScenarioFiles, parseScenarioText, mergeScenarios } from './parse';
export {
  listBuiltinScenarios,
  resolveScenarioArg,
  resolveScenarioFiles,
  loadScenario,
  BUILTIN_SCENARIO_DIR,
} from './builtin';
export type { BuiltinScenario } from './builtin';
export { knownKinds } from './kinds';
export { decideInjection } from './inject';
export { selectorMatches, MAX_REPLICAS } from './workloads';
export { proxyConfigFromAnnotation, type ProxyConfigOverrides } from './annotations';
export { defaultMeshConfig } from './mesh-config';
export { overlayScenario } from './overlay';

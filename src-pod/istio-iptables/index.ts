// Public API of the lab's istio-iptables: config, flags, rule generation, save parsing and applying.
export type { ConfigKey, ConfigSources, IptablesConfig } from './config';
export {
  DEFAULT_PROXY_UID,
  IptablesConfigError,
  JSON_KEYS,
  configFromJson,
  configToJson,
  defaultConfig,
  validateConfig,
  withIdentityDefaults,
} from './config';
export type { ExtraFlag, ParsedArgs } from './flags';
export { configToArgs, parseArgs, usage } from './flags';
export type { Rule } from './builder';
export { RuleBuilder, buildRestore } from './builder';
export { buildRules, dnsCaptureEnabled, dryRun, restoreInputs } from './rules';
export type {
  ChainDiff,
  Counters,
  RuleSet,
  RuleSetDiff,
  SavedChain,
  SavedRule,
  SavedTable,
} from './save-parser';
export {
  SaveParseError,
  applyRestore,
  diffRuleSets,
  formatDiff,
  normalize,
  parseIptablesSave,
  splitDryRun,
  splitSaveFamilies,
  toSaveText,
} from './save-parser';
export type { ParsedRule } from './rule-normalize';
export { canonicalRule, parseRuleSpec, quoteWord, tokenize } from './rule-normalize';
export type { ApplyOptions, CommandResult, Family, Runner } from './apply';
export { ApplyError, applyConfig, configureRoutes, detectFamily, spawnRunner } from './apply';
export type { PodEnvironment } from './environment';
export { detectIpv6, fillFromEnvironment, nameservers, readPodEnvironment } from './environment';
export type { MainIo } from './cli';
export { main } from './cli';

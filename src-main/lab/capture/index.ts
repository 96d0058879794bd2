// Public API of the capture pipeline: trace table, trace/rule-event parsers, counters and the flow join.
export {
  TAP_COMMANDS,
  TRACE_PRIORITY,
  TRACE_TABLE,
  removeTraceTableScript,
  traceTableScript,
} from './trace-table';
export type { TraceTableOptions } from './trace-table';
export { TraceParser, parseNftPacket, parseTraceText, parseXtablesPacket } from './trace-parser';
export type { PacketFields, TraceEvent, TraceFamily, VerdictKind } from './trace-parser';
export {
  RuleIndex,
  RulesMonitorParser,
  changesIptables,
  parseRuleEventText,
} from './rules-monitor';
export type {
  IndexedRule,
  RuleChange,
  RuleChangeOp,
  RuleGeneration,
  RuleMonitorEvent,
} from './rules-monitor';
export { activeRules, counterDeltas, counterKey } from './counters';
export type { CounterDeltas, PolicyCounterDelta, RuleCounterDelta } from './counters';
export { FlowJoiner } from './flows';
export { summarize, tupleKey } from './flow-legs';
export type {
  Flow,
  FlowAggregates,
  FlowChange,
  FlowJoinerOptions,
  FlowVerdict,
  Leg,
  LegEnd,
  RuleHit,
} from './flow-types';

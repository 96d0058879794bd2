// Hand-written checks of every command's arguments, run in main before a handler sees them.
import type { CommandArgs, CommandName } from './commands';
import { isCommandName } from './commands';
import { PERF_LIMITS, PERF_MODES } from '../lab/perf/modes';

/** Bad arguments: names the command and the field, so the window can say what was wrong. */
export class ContractArgsError extends Error {
  constructor(
    readonly command: string,
    readonly field: string,
    problem: string,
  ) {
    super(field === '' ? `${command}: ${problem}` : `${command}: argument "${field}" ${problem}`);
    this.name = 'ContractArgsError';
  }
}

/** A problem text, or undefined when the value is fine. */
type Check = (value: unknown) => string | undefined;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string "${value.slice(0, 40)}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

const text: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : `must be a non-empty string, got ${describe(v)}`);
const anyText: Check = (v) => (typeof v === 'string' ? undefined : `must be a string, got ${describe(v)}`);

const intIn =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : `must be an integer from ${min} to ${max}, got ${describe(v)}`;

const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}, got ${describe(v)}`;

/** A number (not only whole) within bounds; `above` excludes the bound itself, as a duration of 0 would. */
const numIn =
  (min: number, max: number, above = false): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && (above ? v > min : v >= min) && v <= max
      ? undefined
      : `must be a number ${above ? 'above' : 'from'} ${min} ${above ? 'and at most' : 'to'} ${max}, got ${describe(v)}`;

/** A list whose items each pass `item`; the problem names the item's index. */
const listOf =
  (item: Check, nonEmpty: boolean): Check =>
  (v) => {
    if (!Array.isArray(v)) return `must be an array, got ${describe(v)}`;
    if (nonEmpty && v.length === 0) return 'must not be empty';
    for (const [i, x] of v.entries()) {
      const problem = item(x);
      if (problem) return `item ${i} ${problem}`;
    }
    return undefined;
  };

interface Field {
  check: Check;
  optional?: boolean;
  /** Fields of a nested object, checked as `parent.child`. */
  fields?: Fields;
}
type Fields = Record<string, Field>;

const req = (check: Check): Field => ({ check });
const opt = (check: Check): Field => ({ check, optional: true });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const object: Check = (v) => (isObject(v) ? undefined : `must be an object, got ${describe(v)}`);

const FILTER: Fields = {
  pod: opt(text),
  namespace: opt(text),
  direction: opt(oneOf('outbound', 'inbound')),
  verdict: opt(oneOf('intercepted', 'bypassed', 'blocked')),
  cluster: opt(text),
  responseFlag: opt(text),
  limit: opt(intIn(1, 100_000)),
};

const ARGS: { [C in CommandName]: Fields } = {
  'scenarios.list': {},
  'lab.start': { scenario: req(text) },
  'lab.stop': {},
  'lab.status': {},
  'lab.apply': { file: req(text) },
  'rules.get': { pod: req(text), namespace: req(text) },
  'rules.restore': { pod: req(text), namespace: opt(text) },
  'rules.diff': { pod: req(text), namespace: opt(text) },
  'terminal.open': { pod: req(text), namespace: req(text), container: req(text) },
  'terminal.openCluster': {},
  'terminal.write': { id: req(text), data: req(anyText) },
  'terminal.resize': { id: req(text), cols: req(intIn(1, 1000)), rows: req(intIn(1, 1000)) },
  'terminal.ack': { id: req(text), bytes: req(intIn(0, Number.MAX_SAFE_INTEGER)) },
  'terminal.close': { id: req(text) },
  'flows.list': { filter: { check: object, optional: true, fields: FILTER } },
  'flows.export': {},
  'pcap.export': { pod: req(text), namespace: opt(text) },
  'perf.run': {
    modes: opt(listOf(oneOf(...PERF_MODES), true)),
    qps: opt(numIn(0, 1_000_000)),
    connections: opt(intIn(1, PERF_LIMITS.maxConnections)),
    sweep: opt(listOf(intIn(1, PERF_LIMITS.maxConnections), true)),
    payload: opt(intIn(0, PERF_LIMITS.maxPayload)),
    duration: opt(numIn(0, PERF_LIMITS.maxDurationS, true)),
  },
  'perf.results': {},
  'perf.export': { format: req(oneOf('json', 'csv')) },
  'workshop.list': {},
  'workshop.get': { name: req(text) },
  'workshop.check': { name: req(text), step: req(text) },
  'workshop.reset': { name: req(text), step: req(text) },
};

function checkFields(command: string, value: Record<string, unknown>, fields: Fields, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!(key in fields)) throw new ContractArgsError(command, `${prefix}${key}`, 'is not an argument of this command');
  }
  for (const [key, field] of Object.entries(fields)) {
    const v = value[key];
    const name = `${prefix}${key}`;
    if (v === undefined) {
      if (field.optional) continue;
      throw new ContractArgsError(command, name, 'is missing');
    }
    const problem = field.check(v);
    if (problem) throw new ContractArgsError(command, name, problem);
    if (field.fields && isObject(v)) checkFields(command, v, field.fields, `${name}.`);
  }
}

/** The arguments, typed, when they are what `command` takes; a ContractArgsError naming the field otherwise. */
export function validateArgs<C extends CommandName>(command: C, args: unknown): CommandArgs<C> {
  // No arguments at all is the same as `{}` for commands that take none (JSON drops undefined).
  const value = args === undefined || args === null ? {} : args;
  if (!isObject(value)) throw new ContractArgsError(command, '', `arguments must be an object, got ${describe(args)}`);
  checkFields(command, value, ARGS[command], '');
  return value as CommandArgs<C>;
}

/** Checks the command name too, for messages that arrive as plain JSON. */
export function validateCommand(command: unknown, args: unknown): { command: CommandName; args: unknown } {
  if (!isCommandName(command)) {
    throw new ContractArgsError(String(command), '', 'is not a command of the lab');
  }
  return { command, args: validateArgs(command, args) };
}

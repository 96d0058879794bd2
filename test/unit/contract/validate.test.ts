// Every command's argument check: good arguments pass, each bad field is named with the command.
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, type CommandName } from '../../../src-main/contract/commands';
import { isPackedError, packError, unpackError } from '../../../src-main/contract/errors';
import { ContractArgsError, validateArgs, validateCommand } from '../../../src-main/contract/validate';

const GOOD: { [C in CommandName]: unknown } = {
  'scenarios.list': {},
  'lab.start': { scenario: 'interception' },
  'lab.stop': {},
  'lab.status': {},
  'lab.apply': { file: '/tmp/se.yaml' },
  'rules.get': { pod: 'sleep', namespace: 'default' },
  'rules.restore': { pod: 'sleep' },
  'rules.diff': { pod: 'sleep', namespace: 'default' },
  'terminal.open': { pod: 'sleep', namespace: 'default', container: 'tap' },
  'terminal.openCluster': {},
  'terminal.write': { id: 't1', data: '' },
  'terminal.resize': { id: 't1', cols: 120, rows: 40 },
  'terminal.ack': { id: 't1', bytes: 0 },
  'terminal.close': { id: 't1' },
  'flows.list': { filter: { pod: 'sleep', direction: 'inbound', verdict: 'bypassed', cluster: 'PassthroughCluster', responseFlag: 'UF', limit: 10 } },
  'flows.export': {},
  'pcap.export': { pod: 'sleep', namespace: 'default' },
  'perf.run': { modes: ['baseline', 'both'], qps: 100.5, connections: 2, sweep: [1, 2, 64], payload: 1024, duration: 0.5 },
  'perf.results': {},
  'perf.export': { format: 'csv' },
  'workshop.list': {},
  'workshop.get': { name: 'traffic-flow' },
  'workshop.check': { name: 'traffic-flow', step: '4.3' },
  'workshop.reset': { name: 'traffic-flow', step: '4.3' },
};

/** One bad value per field: [command, args, the field the error must name]. */
const BAD: [CommandName, unknown, string][] = [
  ['lab.start', {}, 'scenario'],
  ['terminal.openCluster', { pod: 'sleep' }, 'pod'],
  ['workshop.check', { name: 'traffic-flow' }, 'step'],
  ['workshop.list', { all: true }, 'all'],
  ['workshop.get', { name: '' }, 'name'],
  ['workshop.reset', { step: '4.3' }, 'name'],
  ['lab.start', { scenario: '' }, 'scenario'],
  ['lab.start', { scenario: 3 }, 'scenario'],
  ['lab.apply', { file: null }, 'file'],
  ['rules.get', { namespace: 'default' }, 'pod'],
  ['rules.get', { pod: 'sleep' }, 'namespace'],
  ['rules.restore', { pod: 'sleep', namespace: 7 }, 'namespace'],
  ['rules.diff', { pod: [] }, 'pod'],
  ['terminal.open', { pod: 'sleep', namespace: 'default' }, 'container'],
  ['terminal.open', { pod: 'sleep', container: 'tap' }, 'namespace'],
  ['terminal.open', { namespace: 'default', container: 'tap' }, 'pod'],
  ['terminal.write', { id: 't1' }, 'data'],
  ['terminal.write', { data: 'ls' }, 'id'],
  ['terminal.resize', { id: 't1', cols: 0, rows: 40 }, 'cols'],
  ['terminal.resize', { id: 't1', cols: 80, rows: 2.5 }, 'rows'],
  ['terminal.ack', { id: 't1', bytes: -1 }, 'bytes'],
  ['terminal.ack', { bytes: 5 }, 'id'],
  ['terminal.close', { id: '' }, 'id'],
  ['flows.list', { filter: 'sleep' }, 'filter'],
  ['flows.list', { filter: { direction: 'sideways' } }, 'filter.direction'],
  ['flows.list', { filter: { verdict: 'dropped' } }, 'filter.verdict'],
  ['flows.list', { filter: { limit: 0 } }, 'filter.limit'],
  ['flows.list', { filter: { pod: 5 } }, 'filter.pod'],
  ['flows.list', { filter: { color: 'red' } }, 'filter.color'],
  ['pcap.export', {}, 'pod'],
  ['lab.stop', { force: true }, 'force'],
  ['scenarios.list', { all: 1 }, 'all'],
  ['perf.run', { modes: ['baseline', 'fast'] }, 'modes'],
  ['perf.run', { modes: [] }, 'modes'],
  ['perf.run', { modes: 'both' }, 'modes'],
  ['perf.run', { qps: -1 }, 'qps'],
  ['perf.run', { qps: '1000' }, 'qps'],
  ['perf.run', { connections: 0 }, 'connections'],
  ['perf.run', { connections: 1.5 }, 'connections'],
  ['perf.run', { connections: 1025 }, 'connections'],
  ['perf.run', { sweep: [] }, 'sweep'],
  ['perf.run', { sweep: [1, 0] }, 'sweep'],
  ['perf.run', { sweep: 16 }, 'sweep'],
  ['perf.run', { payload: 262145 }, 'payload'],
  ['perf.run', { duration: 0 }, 'duration'],
  ['perf.run', { duration: 3601 }, 'duration'],
  ['perf.run', { duration: Number.NaN }, 'duration'],
  ['perf.run', { mode: 'both' }, 'mode'],
  ['perf.results', { lab: 'x' }, 'lab'],
  ['perf.export', { format: 'xlsx' }, 'format'],
  ['perf.export', {}, 'format'],
];

describe('validateArgs', () => {
  it.each(COMMAND_NAMES.map((c) => [c]))('%s: good arguments pass unchanged', (command) => {
    expect(validateArgs(command, GOOD[command])).toEqual(GOOD[command]);
  });

  it('takes no arguments as {} for commands without any', () => {
    expect(validateArgs('lab.status', undefined)).toEqual({});
    expect(validateArgs('flows.list', undefined)).toEqual({});
  });

  it.each(BAD)('%s %j: names the field', (command, args, field) => {
    let caught: unknown;
    try {
      validateArgs(command, args);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ContractArgsError);
    const err = caught as ContractArgsError;
    expect(err.command).toBe(command);
    expect(err.field).toBe(field);
    expect(err.message).toContain(command);
    expect(err.message).toContain(`"${field}"`);
  });

  it('every command has a bad case', () => {
    const covered = new Set(BAD.map(([c]) => c));
    const withArgs = COMMAND_NAMES.filter((c) => !['lab.status', 'flows.export'].includes(c));
    expect(withArgs.filter((c) => !covered.has(c))).toEqual([]);
  });

  it('says which perf.run value is wrong and what it takes, as the command line does', () => {
    expect(() => validateArgs('perf.run', { modes: ['both', 'fast'] })).toThrow(/argument "modes" item 1 must be one of baseline, server-only, both, both-excluded, relay, got the string "fast"/);
    expect(() => validateArgs('perf.run', { connections: 0 })).toThrow(/argument "connections" must be an integer from 1 to 1024, got number 0/);
    expect(() => validateArgs('perf.run', { duration: 0 })).toThrow(/argument "duration" must be a number above 0 and at most 3600/);
    expect(validateArgs('perf.run', {})).toEqual({});
  });

  it('refuses arguments that are not an object', () => {
    expect(() => validateArgs('lab.start', 'interception')).toThrow(/lab.start: arguments must be an object/);
    expect(() => validateArgs('lab.start', [1])).toThrow(/an array/);
  });

  it('refuses an unknown command', () => {
    expect(() => validateCommand('lab.explode', {})).toThrow(/lab.explode: is not a command/);
    expect(validateCommand('lab.start', { scenario: 'x' })).toEqual({ command: 'lab.start', args: { scenario: 'x' } });
  });
});

describe('packed errors', () => {
  it('keep name and message across JSON and come back as real Errors', () => {
    const original = new ContractArgsError('lab.start', 'scenario', 'is missing');
    const wire = JSON.parse(JSON.stringify(packError(original))) as unknown;
    expect(isPackedError(wire)).toBe(true);
    const rebuilt = unpackError(wire as { name: string; message: string });
    expect(rebuilt).toBeInstanceOf(Error);
    expect(rebuilt.name).toBe('ContractArgsError');
    expect(rebuilt.message).toBe('lab.start: argument "scenario" is missing');
    expect(packError('plain')).toEqual({ name: 'Error', message: 'plain' });
  });
});

import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../../src-main/cli/args';

const specs = [
  { name: 'container', short: 'c', takesValue: true },
  { name: 'json' },
];

describe('parseArgs', () => {
  it('reads long, short and inline flags, positionals and what follows --', () => {
    const a = parseArgs(['sleep', '-c', 'tap', '--json', '--', 'curl', '-s', 'x'], specs, 'exec');
    expect(a.positionals).toEqual(['sleep']);
    expect(a.flags.get('container')).toBe('tap');
    expect(a.flags.get('json')).toBe(true);
    expect(a.rest).toEqual(['curl', '-s', 'x']);
    expect(parseArgs(['--container=app'], specs, 'exec').flags.get('container')).toBe('app');
  });

  it('names the flag at fault', () => {
    expect(() => parseArgs(['--jsno'], specs, 'status')).toThrow(new UsageError('status: unknown flag --jsno'));
    expect(() => parseArgs(['-c'], specs, 'exec')).toThrow('exec: flag -c needs a value');
    expect(() => parseArgs(['--json=yes'], specs, 'exec')).toThrow('exec: flag --json takes no value');
  });
});

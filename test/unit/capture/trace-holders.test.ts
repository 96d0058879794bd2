// Two captures of one lab share a tap's trace table: the scripts the tap runs, run here by sh with an nft that keeps the table in a file.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireTraceCommand, releaseTraceCommand } from '../../../src-main/lab/capture/trace-holders';
import { removeTraceTableScript, traceTableScript } from '../../../src-main/lab/capture/trace-table';

interface FakeTap {
  dir: string;
  run: (argv: string[], stdin: string) => { code: number; out: string };
  table: () => boolean;
  nftCalls: () => string[];
}

function tap(): FakeTap {
  const root = mkdtempSync(join(tmpdir(), 'trace-holders-'));
  const bin = join(root, 'bin');
  mkdirSync(bin);
  // nft as far as these scripts use it: `list table` answers whether the table is there; `-f -` makes or deletes it.
  writeFileSync(
    join(bin, 'nft'),
    `#!/bin/sh\necho "$*" >> '${root}/calls'\nif [ "$1" = list ]; then test -f '${root}/table'; exit $?; fi\n` +
      `if grep -q chain; then touch '${root}/table'; else rm -f '${root}/table'; fi\n`,
  );
  chmodSync(join(bin, 'nft'), 0o755);
  return {
    dir: join(root, 'holders'),
    run: (argv, stdin) => {
      const r = spawnSync(argv[0], argv.slice(1), { input: stdin, env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` }, encoding: 'utf8' });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    },
    table: () => existsSync(join(root, 'table')),
    nftCalls: () => (existsSync(join(root, 'calls')) ? readFileSync(join(root, 'calls'), 'utf8').trim().split('\n') : []),
  };
}

describe('the shared trace table', () => {
  it('stays while another capture holds it, and goes with the last one', () => {
    const t = tap();
    expect(t.run(acquireTraceCommand('100-1', t.dir), traceTableScript()).code).toBe(0);
    expect(t.table()).toBe(true);
    expect(t.run(acquireTraceCommand('200-1', t.dir), traceTableScript()).code).toBe(0);
    // The second capture found the table and left it as it was: the first one's marks never stopped.
    expect(t.nftCalls()).toEqual(['list table inet sidecar_lab_trace', '-f -', 'list table inet sidecar_lab_trace']);

    const first = t.run(releaseTraceCommand('100-1', t.dir), removeTraceTableScript());
    expect(first).toEqual({ code: 0, out: 'kept\n' });
    expect(t.table()).toBe(true);
    expect(t.run(releaseTraceCommand('200-1', t.dir), removeTraceTableScript()).code).toBe(0);
    expect(t.table()).toBe(false);
  });

  it('refuses a holder name that would break out of the script', () => {
    expect(() => acquireTraceCommand("x'; rm -rf /")).toThrow(/trace holder/);
    expect(() => releaseTraceCommand('a/b')).toThrow(/trace holder/);
  });
});

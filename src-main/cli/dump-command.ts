// `import PATH` and `diff PATH`: a customer's dump as a scenario, and its rules against the lab's.
import { existsSync, writeFileSync } from 'node:fs';
import { diffDump } from '../lab/dump/diff';
import { importDump } from '../lab/dump/import';
import { DumpError, readDump } from '../lab/dump/read-dump';
import type { CliIO } from './output';

/** Writes the scenario to OUT (never over an existing file) or stdout; notes go to stderr. */
export function importCommand(path: string, out: string | undefined, io: CliIO): number {
  try {
    const result = importDump(path, readDump(path));
    for (const n of result.notes) io.err(`import: ${n}`);
    if (!out) {
      io.out(result.text.trimEnd());
      return 0;
    }
    if (existsSync(out)) throw new DumpError(`import: ${out} exists; the scenario is not written over it (remove it or pick another -o)`);
    writeFileSync(out, result.text);
    io.err(`import: wrote ${out}; start it with: sidecar-lab up ${out}`);
    return 0;
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    io.err(e.message.startsWith('import: ') ? e.message : `import: ${e.message}`);
    return 1;
  }
}

/** Prints the rule-by-rule comparison; exit 1 when the rules differ, as `diff` does. */
export function diffCommand(path: string, opts: { pod?: string; rules?: string }, io: CliIO): number {
  try {
    const d = diffDump(readDump(path), path, opts);
    io.err(`diff: ${d.pod}: the lab's rules against ${d.rulesFile}`);
    io.out(d.text.trimEnd());
    return d.equal ? 0 : 1;
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    io.err(e.message.startsWith('diff: ') ? e.message : `diff: ${e.message}`);
    return 2;
  }
}

// `import PATH`, `diff PATH` and `export`: a customer's dump as a scenario, its rules against the lab's, and the running lab as a scenario again.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { clusterStatus } from '../lab/api/cluster-status';
import { connectEngine } from '../lab/docker/engine';
import { diffDump } from '../lab/dump/diff';
import { exportLab } from '../lab/dump/export';
import { importDump } from '../lab/dump/import';
import { DumpError, readDump } from '../lab/dump/read-dump';
import { readLabRecord } from '../lab/runtime/lab';
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

/** Writes the running lab as one scenario file (replacing FILE whole, or to stdout); what was written or left out goes to stderr. */
export async function exportCommand(lab: string, file: string | undefined, io: CliIO): Promise<number> {
  const record = readLabRecord(lab);
  if (!record?.ready) {
    io.err(`export: lab ${lab} is not up`);
    return 1;
  }
  const result = await exportLab(lab, record.run.scenario, await clusterStatus(await connectEngine(), lab));
  for (const n of result.notes) io.err(`export: ${n}`);
  if (!file) {
    io.out(result.text.trimEnd());
    return 0;
  }
  // Written beside and renamed: a failed write never leaves half a file where a good one was.
  writeFileSync(`${file}.tmp`, result.text);
  renameSync(`${file}.tmp`, file);
  io.err(`export: wrote ${file}; run it with: sidecar-lab up ${file}`);
  return 0;
}

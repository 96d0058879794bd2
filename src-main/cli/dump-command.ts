// `import PATH`, `diff PATH` and `export`: a customer's dump as a scenario, its rules against the lab's, and the running lab as a scenario again.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { clusterStatus } from '../lab/api/cluster-status';
import { connectEngine } from '../lab/docker/engine';
import { addressNames, diffConfigDumps, readConfigDump } from '../lab/dump/config-diff';
import { diffDump } from '../lab/dump/diff';
import { exportLab } from '../lab/dump/export';
import { importDump } from '../lab/dump/import';
import { dumpedPod, fetchLabConfigDump, labProxyPod } from '../lab/dump/lab-config-dump';
import { DumpError, readDump, type RulesFile } from '../lab/dump/read-dump';
import { SECTION } from '../istioctl/configdump/dump';
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

export interface DiffOptions {
  pod?: string;
  rules?: string;
  /** The customer's config_dump, when the dump folder has none or several. */
  configDump?: string;
  /** The lab's config_dump saved to a file, instead of asking the running lab's proxy. */
  labDump?: string;
  /** The running lab, asked only when its proxy's config_dump is needed. */
  lab?: () => Promise<string | undefined>;
}

function readFileOrFail(path: string, flag: string): RulesFile {
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (e) {
    throw new DumpError(`diff: cannot read ${flag} file ${path}: ${(e as Error).message}`);
  }
}

/** The customer's config_dump against the lab's proxy's: listeners, clusters, routes and (with EDS) endpoints. */
async function diffProxyConfig(customerFile: RulesFile, opts: DiffOptions, io: CliIO): Promise<boolean | undefined> {
  const customer = readConfigDump(customerFile.path, customerFile.text);
  let lab;
  let labLabel;
  if (opts.labDump) {
    const f = readFileOrFail(opts.labDump, '--lab-dump');
    lab = readConfigDump(f.path, f.text);
    labLabel = f.path;
  } else {
    const name = await opts.lab?.();
    if (!name) return undefined;
    const pod = await labProxyPod(name, opts.pod, dumpedPod(customer));
    // The customer's dump taken with ?include_eds has endpoints: ask the lab's proxy for them too.
    lab = await fetchLabConfigDump(name, pod, customer.optionalSection(SECTION.endpoints) !== undefined);
    labLabel = `the lab's proxy (${pod.namespace}/${pod.name})`;
  }
  const d = diffConfigDumps(customer, lab, [addressNames(customer), addressNames(lab)], [customerFile.path, labLabel]);
  io.err(`diff: ${labLabel}'s listeners, clusters, routes and endpoints against ${customerFile.path}`);
  io.out(d.text.trimEnd());
  return d.equal;
}

/**
 * Prints the rule-by-rule comparison (when the dump has rules) and the listener-by-listener one
 * (when it has a config_dump); exit 1 when either differs, as `diff` does, 2 when it cannot compare.
 */
export async function diffCommand(path: string, opts: DiffOptions, io: CliIO): Promise<number> {
  try {
    const dump = readDump(path);
    const configDumps = opts.configDump ? [readFileOrFail(opts.configDump, '--config-dump')] : dump.configDumps;
    if (configDumps.length > 1)
      throw new DumpError(`diff: ${path} has ${configDumps.length} config dumps; pick one with --config-dump (${configDumps.map((c) => c.path).join(', ')})`);
    let equal = true;
    // Rules are compared when there are some, or when there is nothing else to compare (diffDump then says what is missing).
    if (opts.rules || dump.rules.length > 0 || configDumps.length === 0) {
      const d = diffDump(dump, path, opts);
      io.err(`diff: ${d.pod}: the lab's rules (from ${d.source}) against ${d.rulesFile}`);
      io.out(d.text.trimEnd());
      equal &&= d.equal;
    }
    if (configDumps.length === 1) {
      const same = await diffProxyConfig(configDumps[0], opts, io);
      if (same === undefined) return 2;
      equal &&= same;
    }
    return equal ? 0 : 1;
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    io.err(e.message.startsWith('diff: ') ? e.message : `diff: ${e.message}`);
    return 2;
  }
}

/** Writes the running lab as one scenario file (replacing FILE whole, or to stdout); what was written or left out goes to stderr. */
export async function exportCommand(lab: string, file: string | undefined, io: CliIO, symptoms: string[] = []): Promise<number> {
  const record = readLabRecord(lab);
  if (!record?.ready) {
    io.err(`export: lab ${lab} is not up`);
    return 1;
  }
  const result = await exportLab(lab, record.run.scenario, await clusterStatus(await connectEngine(), lab), new Date(), symptoms);
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

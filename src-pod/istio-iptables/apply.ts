// Applying the rules for real like Istio (iptables-restore --noflush, TPROXY routes), with rollback and cleanup.
import { spawn } from 'node:child_process';
import { buildRestore, checkCommands, cleanupCommands } from './builder';
import type { IptablesConfig } from './config';
import { buildRules } from './rules';
import { quoteWord } from './rule-normalize';
import type { RuleSet } from './save-parser';
import { applyRestore } from './save-parser';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Runner = (cmd: string, args: string[], stdin?: string) => Promise<CommandResult>;

/** Run a program (looked up in PATH) and collect its output; a missing program is exit code 127. */
export const spawnRunner: Runner = (cmd, args, stdin) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: stderr + e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });

export interface Family {
  name: 'IPv4' | 'IPv6';
  iptables: string;
  save: string;
  restore: string;
  /** "--wait=30" for legacy iptables >= 1.6.2 (nf_tables needs no lock), as Istio adds to write commands. */
  lockArgs: string[];
}

export interface ApplyOptions {
  run?: Runner;
  /** Progress and Istio-style log lines. */
  log?: (line: string) => void;
}

export class ApplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApplyError';
  }
}

const RESTORE_LOCKING = [1, 6, 2];

function versionAtLeast(v: number[], min: number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i];
  }
  return true;
}

/** DetectIptablesVersion: legacy when it already holds rules (or is forced), else nft, else the plain binary. */
export async function detectFamily(
  run: Runner,
  ipv6: boolean,
  forceLegacy: boolean,
): Promise<Family> {
  const plain = ipv6 ? 'ip6tables' : 'iptables';
  const candidates = forceLegacy ? [`${plain}-legacy`] : [`${plain}-legacy`, `${plain}-nft`, plain];
  const errors: string[] = [];
  for (const bin of candidates) {
    const dump = await run(`${bin}-save`, []);
    if (dump.code !== 0) {
      errors.push(`${bin}-save: ${dump.stderr.trim() || `exit ${dump.code}`}`);
      continue;
    }
    const isLegacyName = bin.endsWith('-legacy');
    if (isLegacyName && !forceLegacy && dump.stdout.split('\n').length < 4) continue;
    const ver = await run(`${bin}-save`, ['--version']);
    const m = /v(\d+(?:\.\d+)+)/.exec(ver.stdout);
    const version = m ? m[1].split('.').map(Number) : [0, 0, 0];
    const legacy = !ver.stdout.includes('nf_tables');
    const lockArgs = legacy && versionAtLeast(version, RESTORE_LOCKING) ? ['--wait=30'] : [];
    return {
      name: ipv6 ? 'IPv6' : 'IPv4',
      iptables: bin,
      save: `${bin}-save`,
      restore: `${bin}-restore`,
      lockArgs,
    };
  }
  throw new ApplyError(`istio-iptables: no usable ${plain} binary found (${errors.join('; ')})`);
}

/** GetStateFromSave + isEmptyState: rules in any chain or any ISTIO_ chain count as existing state. */
function hasState(rs: RuleSet): boolean {
  for (const [name, table] of rs) {
    if (!['filter', 'nat', 'mangle', 'raw'].includes(name)) continue;
    for (const ch of table.chains.values())
      if (ch.rules.length > 0 || ch.name.startsWith('ISTIO')) return true;
  }
  return false;
}

/** The table sections of a save, to put tables back exactly as they were. */
function tableSections(save: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | null = null;
  let lines: string[] = [];
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) {
      name = line.slice(1).trim();
      lines = [`*${name}`];
    } else if (name && line === 'COMMIT') {
      out.set(name, [...lines, 'COMMIT'].join('\n'));
      name = null;
    } else if (name && !line.startsWith('#')) lines.push(line);
  }
  return out;
}

interface FamilyRun {
  fam: Family;
  rules: ReturnType<typeof buildRules>['v4'];
  before: string;
  touched: Set<string>;
}

/** Apply (or, with cleanupOnly, remove) the rules of `config`, like Istio's ProgramIptables. */
export async function applyConfig(
  config: IptablesConfig,
  options: ApplyOptions = {},
): Promise<{ finalState: string }> {
  const run = options.run ?? spawnRunner;
  const log = options.log ?? (() => undefined);
  if (config.skipRuleApply) {
    log('skip-rule-apply is set: no rules applied');
    return { finalState: '' };
  }
  const builder = buildRules(config);
  const v4 = await detectFamily(run, false, config.forceLegacyIptables);
  let v6: Family | null = null;
  try {
    v6 = await detectFamily(run, true, config.forceLegacyIptables);
  } catch (e) {
    if (config.enableInboundIpv6) throw e;
    log(`ip6tables not usable, IPv6 tables left alone: ${(e as Error).message}`);
  }
  const exec = async (fam: Family, args: string[], stdin?: string): Promise<CommandResult> => {
    return run(stdin === undefined ? fam.iptables : fam.restore, [...args, ...fam.lockArgs], stdin);
  };
  const families: FamilyRun[] = [];
  for (const [fam, rules] of [
    [v4, builder.v4],
    [v6, builder.v6],
  ] as const) {
    if (!fam) continue;
    const save = await run(fam.save, []);
    if (save.code !== 0)
      throw new ApplyError(`istio-iptables: ${fam.save} failed: ${save.stderr.trim()}`);
    families.push({ fam, rules, before: save.stdout, touched: new Set() });
  }

  // VerifyIptablesState: is there anything already, and does it differ from what we would write?
  let residue = false;
  let delta = false;
  for (const f of families) {
    const current = applyRestore(f.before);
    const expected = buildRestore(f.rules);
    const exists = hasState(current);
    if (!exists) {
      if (expected !== '') delta = true;
      continue;
    }
    if (expected !== '') residue = true;
    const want = applyRestore(expected);
    let found = false;
    for (const [tname, table] of want) {
      for (const [cname, ch] of table.chains) {
        const cur = current.get(tname)?.chains.get(cname);
        if (!cur || (cname.startsWith('ISTIO_') && cur.rules.length !== ch.rules.length))
          found = true;
      }
    }
    for (const [tname, table] of current) {
      for (const cname of table.chains.keys())
        if (cname.startsWith('ISTIO_') && !want.get(tname)?.chains.has(cname)) found = true;
    }
    if (!found) {
      for (const cmd of checkCommands(f.rules)) {
        if ((await exec(f.fam, cmd)).code !== 0) {
          found = true;
          break;
        }
      }
    }
    delta ||= found;
  }
  if (!residue) delta = true;
  if (residue && delta && !config.reconcile)
    log(
      'reconcile is recommended but no-reconcile flag is set. Unexpected behavior may occur due to preexisting iptables rules',
    );

  const rollback = async (why: string): Promise<never> => {
    const notes: string[] = [];
    for (const f of families) {
      if (f.touched.size === 0) continue;
      const sections = tableSections(f.before);
      const input = [...f.touched].map((t) => sections.get(t) ?? `*${t}\nCOMMIT`).join('\n') + '\n';
      const r = await exec(f.fam, [], input);
      notes.push(
        r.code === 0
          ? `${f.fam.name} tables ${[...f.touched].join(', ')} restored`
          : `${f.fam.name} rollback failed: ${r.stderr.trim()}`,
      );
    }
    throw new ApplyError(
      `istio-iptables: ${why}${notes.length ? ` (${notes.join('; ')})` : ' (nothing had been changed)'}`,
    );
  };

  let guardrails = false;
  if ((residue && delta && config.reconcile) || config.cleanupOnly) {
    if (!config.cleanupOnly) {
      log('Setting up guardrails');
      for (const f of families) {
        f.touched.add('filter');
        for (const chain of ['INPUT', 'FORWARD', 'OUTPUT']) {
          for (const proto of ['tcp', 'udp']) {
            const r = await exec(f.fam, [
              '-t',
              'filter',
              '-I',
              chain,
              '1',
              '-p',
              proto,
              '-j',
              'DROP',
            ]);
            if (r.code !== 0) await rollback(`guardrails failed: ${r.stderr.trim()}`);
          }
        }
      }
      guardrails = true;
    }
    log('Performing cleanup of existing iptables');
    for (const f of families) await cleanup(f, exec, run);
  }
  if ((delta || config.forceApply) && !config.cleanupOnly) {
    log('Applying iptables chains and rules');
    for (const f of families) {
      const input = buildRestore(f.rules);
      if (input === '') continue;
      log(`Running ${f.fam.restore} --noflush with the following input:\n${input.trim()}`);
      for (const m of input.matchAll(/^\* (\S+)$/gm)) f.touched.add(m[1]);
      const r = await exec(f.fam, ['--noflush'], input);
      if (r.code !== 0)
        await rollback(`${f.fam.restore} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    }
  }
  if (guardrails) {
    log('Removing guardrails');
    for (const f of families) {
      for (const chain of ['INPUT', 'FORWARD', 'OUTPUT']) {
        for (const proto of ['tcp', 'udp'])
          await exec(f.fam, ['-t', 'filter', '-D', chain, '-p', proto, '-j', 'DROP']);
      }
    }
  }
  if (!config.cleanupOnly) {
    const routeError = await configureRoutes(config, run);
    if (routeError) await rollback(`failed to configure routes: ${routeError}`);
  }
  let finalState = '';
  for (const f of families) {
    if (f.fam.name === 'IPv6' && !config.enableInboundIpv6) continue;
    const s = await run(f.fam.save, []);
    if (s.code === 0) finalState += `Final iptables state (${f.fam.name}):\n${s.stdout}`;
  }
  return { finalState };
}

/** Undo this config's rules, then remove every remaining jump to an ISTIO_ chain and every ISTIO_ chain. */
async function cleanup(
  f: FamilyRun,
  exec: (fam: Family, args: string[]) => Promise<CommandResult>,
  run: Runner,
): Promise<void> {
  for (const cmd of cleanupCommands(f.rules)) await exec(f.fam, cmd);
  const save = await run(f.fam.save, []);
  const state = applyRestore(save.code === 0 ? save.stdout : '');
  for (const [tname, table] of state) {
    const chains = [...table.chains.values()];
    const istio = chains.filter((c) => c.name.startsWith('ISTIO_'));
    if (
      istio.length === 0 &&
      !chains.some((c) => c.rules.some((r) => (r.parsed.target ?? '').startsWith('ISTIO_')))
    )
      continue;
    f.touched.add(tname);
    for (const ch of chains) {
      if (ch.name.startsWith('ISTIO_')) continue;
      for (const r of ch.rules) {
        const target = r.parsed.target ?? r.parsed.goto ?? '';
        if (target.startsWith('ISTIO_')) await exec(f.fam, ['-t', tname, '-D', ch.name, ...r.spec]);
      }
    }
    for (const ch of istio) await exec(f.fam, ['-t', tname, '-F', ch.name]);
    for (const ch of istio) await exec(f.fam, ['-t', tname, '-X', ch.name]);
  }
}

/**
 * ConfigureRoutes: the ::6 address on lo for IPv6, and in TPROXY mode the policy route that sends marked
 * packets to lo (`ip rule add fwmark MARK lookup TABLE`, `ip route add local default dev lo table TABLE`).
 */
export async function configureRoutes(config: IptablesConfig, run: Runner): Promise<string | null> {
  const commands: string[][] = [];
  if (config.enableInboundIpv6) commands.push(['-6', 'addr', 'add', '::6/128', 'dev', 'lo']);
  if (config.inboundPortsInclude !== '' && config.inboundInterceptionMode === 'TPROXY') {
    const families = config.enableInboundIpv6 ? ['-4', '-6'] : ['-4'];
    for (const fam of families)
      commands.push([
        fam,
        'rule',
        'add',
        'fwmark',
        config.inboundTproxyMark,
        'lookup',
        config.inboundTproxyRouteTable,
      ]);
    for (const fam of families) {
      commands.push([
        fam,
        'route',
        'add',
        'local',
        fam === '-4' ? '0.0.0.0/0' : '::/0',
        'dev',
        'lo',
        'table',
        config.inboundTproxyRouteTable,
      ]);
    }
  }
  for (const args of commands) {
    const r = await run('ip', args);
    // Re-running must not fail because the address, rule or route is already there.
    if (r.code !== 0 && !/file exists|already assigned/i.test(r.stderr))
      return `ip ${args.map(quoteWord).join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`;
  }
  return null;
}

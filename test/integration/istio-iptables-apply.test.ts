// istio-iptables applied for real in a fresh network namespace: the live rules equal the dry run, cleanup and rollback work.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffRuleSets, formatDiff, normalize, splitDryRun } from '../../src-pod/istio-iptables';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(repoRoot, 'node_modules/.bin/tsx');
const MAIN = path.join(repoRoot, 'src-pod/istio-iptables/main.ts');
const TOOLS = ['unshare', 'iptables', 'ip6tables', 'iptables-save', 'ip6tables-save', 'ip'];

/** Why this machine cannot run the test, or null; a missing tool is a failure, never a skip. */
function prerequisiteProblem(): string | null {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length)
    return `istio-iptables apply test needs ${missing.join(', ')} on PATH (install iptables, iproute2 and util-linux)`;
  if (process.getuid?.() !== 0)
    return 'istio-iptables apply test must run as root: it creates network namespaces with unshare --net';
  const probe = spawnSync('unshare', ['--net', 'iptables-save'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare --net iptables-save failed: ${probe.stderr.trim()}`;
  return null;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Where the rules are applied: a namespace made with unshare running the TypeScript source, and a
 * container with NET_ADMIN running the bundled command from the lab's proxy image (istio-init's).
 */
type Runner = 'netns' | 'container';
const RUNNERS: Runner[] = ['netns', 'container'];
const PROXY_IMAGE = 'sidecar-lab/proxy:latest';
let runner: Runner = 'netns';
const istioIptables = (args: string[]) =>
  `${runner === 'container' ? 'istio-iptables' : `${q(TSX)} ${q(MAIN)}`} ${args.map(q).join(' ')}`;

/**
 * Run a shell script in a new network namespace (nothing leaves it: it only has its own loopback) and cut its
 * output at "@@NAME" marker lines into sections.
 */
function inNetns(script: string): Record<string, string> {
  const body = `ip link set lo up\n${script}`;
  const [command, args] =
    runner === 'container'
      ? [
          'docker',
          ['run', '--rm', '--network', 'none', '--user', '0:0', '--cap-add', 'NET_ADMIN', '--cap-add', 'NET_RAW',
            '--sysctl', 'net.ipv6.conf.all.disable_ipv6=0', '--sysctl', 'net.ipv6.conf.lo.disable_ipv6=0',
            PROXY_IMAGE, 'sh', '-c', body],
        ]
      : ['unshare', ['--net', 'sh', '-c', body]];
  const out = execFileSync(command, args as string[], {
    encoding: 'utf8',
    cwd: repoRoot,
    maxBuffer: 16 << 20,
  });
  const sections: Record<string, string> = {};
  let name = '';
  for (const line of out.split('\n')) {
    const m = /^@@(\S+)(?: (.*))?$/.exec(line);
    if (m) {
      name = m[1];
      sections[name] = m[2] ?? '';
      continue;
    }
    if (name) sections[name] += `${line}\n`;
  }
  return sections;
}

const section = (name: string, command: string) => `echo '@@${name}'\n${command}\n`;
const exitCode = (name: string, command: string) => `${command}\necho "@@${name} $?"\n`;
const istioChains = (save: string) =>
  save.split('\n').filter((l) => /^:ISTIO_/.test(l) || /-j ISTIO_/.test(l));

function expectSameRules(dry: string, live: string, what: string): void {
  const diff = diffRuleSets(dry, live);
  expect(diff.equal, `${what}:\n${formatDiff(diff, ['dry run', 'iptables-save'])}`).toBe(true);
}

interface Case {
  name: string;
  args: string[];
  ipv6: boolean;
}

const BASE = [
  '-p',
  '15001',
  '-z',
  '15006',
  '-u',
  '1337',
  '-g',
  '1337',
  '-x',
  '',
  '-d',
  '15090,15021,15020',
];
const CASES: Case[] = [
  {
    name: 'REDIRECT (the injector defaults)',
    args: [...BASE, '-m', 'REDIRECT', '-i', '*', '-b', '*'],
    ipv6: false,
  },
  {
    name: 'TPROXY with excluded interfaces, ports and ranges',
    args: [
      ...BASE,
      '-m',
      'TPROXY',
      '-i',
      '10.0.0.0/8,172.16.0.1/12',
      '-x',
      '10.96.0.0/12',
      '-b',
      '8080,9090',
      '-o',
      '25',
      '-q',
      '3306',
      '-c',
      'eth9',
      '-k',
      'vm0',
      '--drop-invalid',
    ],
    ipv6: false,
  },
  {
    name: 'IPv6 dual rules with TPROXY and wildcard inbound',
    args: [...BASE, '-m', 'TPROXY', '-i', '*', '-x', '2001:db8::/32,10.1.0.0/16', '-b', '*'],
    ipv6: true,
  },
  {
    name: 'DNS capture with owner groups and several uids',
    args: [
      ...BASE,
      '-m',
      'REDIRECT',
      '-i',
      '*',
      '-b',
      '*',
      '-u',
      '1337,1338',
      '--redirect-dns',
      '--dns-servers',
      '127.0.0.53,fd00::53',
    ],
    ipv6: true,
  },
];

const problem = prerequisiteProblem();

describe.each(RUNNERS)('istio-iptables applied for real (%s)', (where) => {
  beforeAll(() => {
    runner = where;
  });

  it('has unshare, iptables and ip and runs as root', () => {
    expect(problem, problem ?? '').toBeNull();
  });

  for (const c of CASES) {
    it(`${c.name}: iptables-save equals the dry run, a rerun changes nothing, --cleanup-only removes every Istio chain`, () => {
      if (problem) throw new Error(problem);
      const args = [...c.args, `--enable-ipv6=${String(c.ipv6)}`];
      const groups = c.name.startsWith('DNS') ? 'ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=888 ' : '';
      const s = inNetns(
        section('DRY', `${groups}${istioIptables([...args, '-n'])} 2>/dev/null`) +
          exitCode('APPLY', `${groups}${istioIptables(args)} >/dev/null 2>&1`) +
          section('V4', 'iptables-save') +
          section('V6', 'ip6tables-save') +
          section(
            'ROUTES',
            'ip -4 rule; ip -4 route show table 133 2>/dev/null; ip -6 addr show dev lo',
          ) +
          exitCode('AGAIN', `${groups}${istioIptables(args)} >/dev/null 2>&1`) +
          section('V4AGAIN', 'iptables-save') +
          exitCode(
            'CLEAN',
            `${istioIptables(['--cleanup-only', `--enable-ipv6=${String(c.ipv6)}`])} >/dev/null 2>&1`,
          ) +
          section('V4CLEAN', 'iptables-save') +
          section('V6CLEAN', 'ip6tables-save'),
      );
      expect(s.APPLY.trim()).toBe('0');
      const dry = splitDryRun(s.DRY);
      expect(dry.v4).toContain('* nat');
      expectSameRules(dry.v4, s.V4, 'IPv4 rules');
      if (c.ipv6) {
        expect(dry.v6).toContain('* nat');
        expectSameRules(dry.v6, s.V6, 'IPv6 rules');
        expect(s.ROUTES).toContain('::6/128');
      } else {
        expect(istioChains(s.V6)).toEqual([]);
      }
      if (c.args.includes('TPROXY')) {
        expect(s.ROUTES).toMatch(/fwmark 0x539 lookup 133/);
        expect(s.ROUTES).toMatch(/local default dev lo/);
      }
      expect(s.AGAIN.trim()).toBe('0');
      expect(normalize(s.V4AGAIN)).toBe(normalize(s.V4));
      expect(s.CLEAN.trim()).toBe('0');
      expect(istioChains(s.V4CLEAN)).toEqual([]);
      expect(istioChains(s.V6CLEAN)).toEqual([]);
    }, 180_000);
  }

  it('an apply that fails half-way (IPv6 restore fails after IPv4 succeeded) puts the tables back', () => {
    if (problem) throw new Error(problem);
    const before = [
      'iptables -t nat -A OUTPUT -p tcp --dport 1 -j RETURN',
      'iptables -t mangle -N KEEP',
      'iptables -t mangle -A KEEP -j RETURN',
      'ip6tables -t nat -A OUTPUT -p tcp --dport 2 -j RETURN',
    ].join('\n');
    // A stand-in for ip6tables' restore that refuses the --noflush apply but lets the rollback through.
    const fakeRestore = [
      'real6=$(command -v ip6tables-nft-restore || command -v ip6tables-restore)',
      'fake=$(mktemp -d)',
      'for name in ip6tables-nft-restore ip6tables-restore; do',
      '  printf \'#!/bin/sh\\ncase "$*" in *--noflush*) echo "forced failure" >&2; exit 1;; esac\\nexec %s "$@"\\n\' "$real6" > "$fake/$name"',
      '  chmod +x "$fake/$name"',
      'done',
    ].join('\n');
    const args = [...BASE, '-m', 'TPROXY', '-i', '*', '-b', '*', '--enable-ipv6=true'];
    const s = inNetns(
      `${before}\n${fakeRestore}\n` +
        section('V4BEFORE', 'iptables-save') +
        section('V6BEFORE', 'ip6tables-save') +
        exitCode('APPLY', `PATH="$fake:$PATH" ${istioIptables(args)} >/dev/null 2>"$fake/err"`) +
        section('ERR', 'cat "$fake/err"') +
        section('V4AFTER', 'iptables-save') +
        section('V6AFTER', 'ip6tables-save') +
        'rm -rf "$fake"\n',
    );
    expect(s.APPLY.trim()).toBe('1');
    expect(s.ERR).toContain('forced failure');
    expect(s.ERR).toMatch(/IPv4 tables .*restored/);
    expect(normalize(s.V4AFTER)).toBe(normalize(s.V4BEFORE));
    expect(normalize(s.V6AFTER)).toBe(normalize(s.V6BEFORE));
    expect(s.V4AFTER).toContain('-A KEEP -j RETURN');
  }, 180_000);

  it('a conflicting leftover chain makes the apply fail with nothing changed; --reconcile then replaces it', () => {
    if (problem) throw new Error(problem);
    const args = [...BASE, '-m', 'TPROXY', '-i', '*', '-b', '*', '--enable-ipv6=false'];
    const s = inNetns(
      'iptables -t nat -N ISTIO_OUTPUT\niptables -t nat -A ISTIO_OUTPUT -p tcp --dport 7 -j RETURN\n' +
        section('BEFORE', 'iptables-save') +
        exitCode('APPLY', `${istioIptables(args)} >/dev/null 2>&1`) +
        section('AFTER', 'iptables-save') +
        section('DRY', `${istioIptables([...args, '-n'])} 2>/dev/null`) +
        exitCode('RECONCILE', `${istioIptables([...args, '--reconcile'])} >/dev/null 2>&1`) +
        section('RECONCILED', 'iptables-save'),
    );
    expect(s.APPLY.trim()).toBe('1');
    expect(normalize(s.AFTER)).toBe(normalize(s.BEFORE));
    expect(s.RECONCILE.trim()).toBe('0');
    expectSameRules(splitDryRun(s.DRY).v4, s.RECONCILED, 'rules after --reconcile');
  }, 180_000);
});

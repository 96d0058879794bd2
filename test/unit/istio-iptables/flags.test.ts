// istio-iptables flags, environment, config JSON, validation messages and the command entry (with a fake iptables).
import { describe, expect, it } from 'vitest';
import type { CommandResult, IptablesConfig, Runner } from '../../../src-pod/istio-iptables';
import {
  applyRestore,
  configFromJson,
  configToJson,
  defaultConfig,
  detectIpv6,
  dryRun,
  fillFromEnvironment,
  main,
  nameservers,
  parseArgs,
  toSaveText,
  tokenize,
  validateConfig,
  withIdentityDefaults,
} from '../../../src-pod/istio-iptables';

/** Arguments written as a shell-like line: words split on spaces, "" for an empty value. */
const t = (line: string): string[] => tokenize(line);

function parse(
  argv: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): IptablesConfig {
  const p = parseArgs(argv, env, {
    readFile: (f) =>
      files[f] ??
      (() => {
        throw new Error('ENOENT');
      })(),
  });
  const c = withIdentityDefaults(p.config);
  validateConfig(c, p.sources);
  return c;
}

function parseError(
  argv: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): string {
  try {
    parse(argv, env, files);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('parseArgs: flag syntax', () => {
  it('reads the injector arguments (short flags, quoted empty and *)', () => {
    const c = parse(
      t(
        '-p 15001 -z 15006 -u 1337 -m REDIRECT -i * -x "" -b * -d 15090,15021,15020 --log_output_level=default:info',
      ),
    );
    expect(c).toMatchObject({
      proxyPort: '15001',
      inboundCapturePort: '15006',
      proxyUid: '1337',
      proxyGid: '1337',
      inboundInterceptionMode: 'REDIRECT',
      outboundIpRangesInclude: '*',
      outboundIpRangesExclude: '',
      inboundPortsInclude: '*',
      inboundPortsExclude: '15090,15021,15020',
    });
  });

  it('accepts long names, --flag=value, -fvalue and -f=value', () => {
    const c = parse(
      t(
        '--envoy-port=15002 --inbound-capture-port 15007 -e15009 -q=80,443 --istio-local-outbound-ports-exclude 25 --kube-virt-interfaces=eth1 --istio-exclude-interfaces eth2 -t 7 -r 8',
      ),
    );
    expect(c).toMatchObject({
      proxyPort: '15002',
      inboundCapturePort: '15007',
      inboundTunnelPort: '15009',
      outboundPortsInclude: '80,443',
      outboundPortsExclude: '25',
      kubeVirtInterfaces: 'eth1',
      excludeInterfaces: 'eth2',
      inboundTproxyMark: '7',
      inboundTproxyRouteTable: '8',
    });
  });

  it('treats bare booleans as true and takes =false', () => {
    expect(parse(t('-n --redirect-dns --capture-all-dns --drop-invalid'))).toMatchObject({
      dryRun: true,
      redirectDns: true,
      captureAllDns: true,
      dropInvalid: true,
    });
    expect(parse(t('--redirect-dns=false --dry-run=0'))).toMatchObject({
      redirectDns: false,
      dryRun: false,
    });
    expect(parse(t('--cleanup-only --reconcile --force-apply'))).toMatchObject({
      cleanupOnly: true,
      reconcile: true,
      forceApply: true,
    });
  });

  it('skips a leading "istio-iptables" word (as istio-init passes it to pilot-agent) and later flags win', () => {
    expect(parse(t('istio-iptables -b 80 -b 90')).inboundPortsInclude).toBe('90');
  });

  it('defaults like Istio: nothing captured, uid 1337 and gid = uid', () => {
    const c = parse([]);
    expect(c).toMatchObject({
      inboundPortsInclude: '',
      outboundIpRangesInclude: '',
      proxyUid: '1337',
      proxyGid: '1337',
      inboundTunnelPort: '15008',
      hostIpv4LoopbackCidr: '127.0.0.1/32',
      outboundOwnerGroupsInclude: '*',
    });
    expect(parse(t('-u 3,4')).proxyGid).toBe('3,4');
  });

  it('rejects unknown flags, missing values and positional arguments', () => {
    expect(parseError(t('--nope'))).toBe('istio-iptables: unknown flag: --nope (see --help)');
    expect(parseError(t('-y'))).toContain("unknown shorthand flag: 'y'");
    expect(parseError(t('-b'))).toBe('istio-iptables: flag needs an argument: -b');
    expect(parseError(t('--istio-inbound-ports'))).toBe(
      'istio-iptables: flag needs an argument: --istio-inbound-ports',
    );
    expect(parseError(t('80'))).toContain('unexpected argument "80"');
  });
});

describe('validation names the flag, variable or key and the value', () => {
  it('ports', () => {
    expect(parseError(t('-b 70000'))).toBe(
      'istio-iptables: invalid value "70000" for flag -b/--istio-inbound-ports: port must be 0-65535',
    );
    expect(parseError(t('-b 80,70000'))).toBe(
      'istio-iptables: invalid value "70000" for flag -b/--istio-inbound-ports: port must be 0-65535 (in "80,70000")',
    );
    expect(parseError(t('-d 9000:8000'))).toContain('reversed');
    expect(parseError(t('-q http'))).toContain(
      'invalid value "http" for flag -q/--istio-outbound-ports',
    );
    expect(parseError(t('-p 1000:2000'))).toContain('for flag -p/--envoy-port');
    expect(parseError(t('-b *,80'))).toContain('"*" must be the whole value');
    expect(parse(t('-b 8000:9000 -d ""')).inboundPortsInclude).toBe('8000:9000');
  });

  it('CIDRs', () => {
    expect(parseError(t('-i 10.0.0.0/33'))).toContain(
      'invalid value "10.0.0.0/33" for flag -i/--istio-service-cidr',
    );
    expect(parseError(t('-x 10.0.0.1'))).toContain(
      'invalid value "10.0.0.1" for flag -x/--istio-service-exclude-cidr: not a CIDR',
    );
    expect(parseError(t('-x *'))).toContain(
      'invalid value "*" for flag -x/--istio-service-exclude-cidr',
    );
    expect(parseError(t('-i 010.0.0.0/8'))).toContain('not an IP address');
    expect(parse(t('-i 10.0.0.0/8,2001:DB8::/32')).outboundIpRangesInclude).toBe(
      '10.0.0.0/8,2001:DB8::/32',
    );
  });

  it('mode, uid/gid, marks, interfaces, booleans', () => {
    expect(parseError(t('-m tproxy'))).toBe(
      'istio-iptables: invalid value "tproxy" for flag -m/--istio-inbound-interception-mode: mode must be REDIRECT or TPROXY',
    );
    expect(parseError(t('-u 1337,-1'))).toContain('invalid value "-1" for flag -u/--proxy-uid');
    expect(parseError(t('-g 99999999999'))).toContain('for flag -g/--proxy-gid: id must be');
    expect(parseError(t('-t 0x539'))).toContain('for flag -t/--istio-inbound-tproxy-mark');
    expect(parseError(['-k', 'a very long interface'])).toContain(
      'for flag -k/--kube-virt-interfaces',
    );
    expect(parseError(t('--redirect-dns=yes'))).toBe(
      'istio-iptables: invalid value "yes" for flag --redirect-dns: expected true or false',
    );
  });

  it('environment variables, including the env-only ones', () => {
    expect(parseError([], { ISTIO_INBOUND_PORTS: 'x' })).toContain(
      'invalid value "x" for environment variable ISTIO_INBOUND_PORTS',
    );
    expect(parseError([], { ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: '10.0.0.0/8' })).toContain(
      'environment variable ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: expected an IPv4 loopback CIDR',
    );
    expect(parseError([], { ISTIO_META_DNS_CAPTURE: 'maybe' })).toContain(
      'environment variable ISTIO_META_DNS_CAPTURE',
    );
    expect(
      parseError([], {
        ISTIO_OUTBOUND_OWNER_GROUPS: Array.from({ length: 65 }, (_, i) => String(i)).join(','),
      }),
    ).toContain('at most 64 owner groups');
  });

  it('config JSON keys', () => {
    const files = {
      'c.json': JSON.stringify({ INBOUND_PORTS_INCLUDE: '1,2,x' }),
      'bad.json': '{',
      'types.json': JSON.stringify({ REDIRECT_DNS: 'yes' }),
    };
    expect(parseError(t('--config-json c.json'), {}, files)).toBe(
      'istio-iptables: invalid value "x" for INBOUND_PORTS_INCLUDE in --config-json c.json: not a port (0-65535) or a port range (a:b) (in "1,2,x")',
    );
    expect(parseError(t('--config-json bad.json'), {}, files)).toContain('is not JSON');
    expect(parseError(t('--config-json types.json'), {}, files)).toContain(
      'REDIRECT_DNS in --config-json types.json: expected true or false',
    );
    expect(parseError(t('--config-json missing.json'), {}, files)).toContain(
      'cannot read --config-json file "missing.json"',
    );
  });
});

describe('environment variables and config JSON', () => {
  it('reads the variables Istio binds to flags; the command line wins', () => {
    const env = {
      ISTIO_INBOUND_PORTS: '80',
      ISTIO_LOCAL_EXCLUDE_PORTS: '22',
      ISTIO_SERVICE_CIDR: '*',
      INBOUND_CAPTURE_PORT: '16006',
      ISTIO_INBOUND_INTERCEPTION_MODE: 'TPROXY',
    };
    expect(parse([], env)).toMatchObject({
      inboundPortsInclude: '80',
      inboundPortsExclude: '22',
      outboundIpRangesInclude: '*',
      inboundCapturePort: '16006',
      inboundInterceptionMode: 'TPROXY',
    });
    expect(parse(t('-b 90 -m REDIRECT'), env)).toMatchObject({
      inboundPortsInclude: '90',
      inboundInterceptionMode: 'REDIRECT',
    });
  });

  it('ISTIO_META_DNS_CAPTURE, INVALID_DROP and the owner groups / loopback variables', () => {
    expect(parse([], { ISTIO_META_DNS_CAPTURE: 'true', INVALID_DROP: 'true' })).toMatchObject({
      redirectDns: true,
      dropInvalid: true,
    });
    expect(parse([], { REDIRECT_DNS: 'true', ISTIO_META_DNS_CAPTURE: 'false' }).redirectDns).toBe(
      false,
    );
    const c = parse([], {
      ISTIO_OUTBOUND_OWNER_GROUPS: 'java,202',
      ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: '888',
      ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: '127.0.0.1/8',
    });
    expect(c).toMatchObject({
      outboundOwnerGroupsInclude: 'java,202',
      outboundOwnerGroupsExclude: '888',
      hostIpv4LoopbackCidr: '127.0.0.1/8',
    });
  });

  it('--config-json gives the base; environment and flags override it; unknown keys are listed', () => {
    const files = {
      'v.json': JSON.stringify({
        INBOUND_PORTS_INCLUDE: '80',
        OUTBOUND_IPRANGES_INCLUDE: '*',
        REDIRECT_DNS: true,
        DNS_SERVERS_V4: ['10.96.0.10'],
        OUTPUT_PATH: '',
      }),
    };
    const p = parseArgs(
      ['--config-json', 'v.json', '-b', '90'],
      { ISTIO_SERVICE_CIDR: '10.0.0.0/8' },
      { readFile: (f) => files[f as 'v.json'] },
    );
    expect(p.config).toMatchObject({
      inboundPortsInclude: '90',
      outboundIpRangesInclude: '10.0.0.0/8',
      redirectDns: true,
      dnsServersV4: ['10.96.0.10'],
    });
    expect(p.ignoredJsonKeys).toEqual(['OUTPUT_PATH']);
    expect(p.explicit.has('dnsServersV4')).toBe(true);
  });

  it("prints the variables JSON in Istio's key order and reads it back", () => {
    const c = parse(t('-b * --redirect-dns --dns-servers 10.0.0.10,fd00::10 --enable-ipv6'));
    const text = configToJson(c);
    expect(text.split('\n')[1]).toBe('\t"PROXY_PORT": "15001",');
    expect(JSON.parse(text)).toMatchObject({
      DNS_SERVERS_V4: ['10.0.0.10'],
      DNS_SERVERS_V6: ['fd00::10'],
      ENABLE_INBOUND_IPV6: true,
      PROBE_TIMEOUT: 5000000000,
    });
    expect(configFromJson(JSON.parse(text)).config).toEqual(c);
    expect(JSON.parse(configToJson(defaultConfig())).DNS_SERVERS_V4).toBeNull();
  });
});

describe('what istio-init learns from the pod', () => {
  it('IPv6 from the first usable address (getLocalIP), any IPv6 with dual stack', () => {
    expect(detectIpv6(['127.0.0.1', '::1', 'fe80::1', '10.1.0.5', 'fd00::5'], false)).toBe(false);
    expect(detectIpv6(['::1', 'fd00::5', '10.1.0.5'], false)).toBe(true);
    expect(detectIpv6(['10.1.0.5', 'fd00::5'], true)).toBe(true);
    expect(() => detectIpv6(['127.0.0.1', 'fe80::1'], false)).toThrow(/no valid local IP address/);
  });

  it('nameservers from resolv.conf, and the ENVOY_USER uid', () => {
    expect(
      nameservers('search x\nnameserver 10.96.0.10\nnameserver fd00::10\n# nameserver 1.1.1.1\n'),
    ).toEqual({ v4: ['10.96.0.10'], v6: ['fd00::10'] });
    const p = parseArgs(t('--redirect-dns'), {});
    const c = fillFromEnvironment(p.config, p.explicit, {
      addresses: ['10.1.0.5'],
      resolvConf: 'nameserver 10.96.0.10\n',
      passwd: 'istio-proxy:x:1999:1999::/:/bin/false\n',
      env: {},
    });
    expect(c).toMatchObject({
      proxyUid: '1999',
      proxyGid: '1999',
      enableInboundIpv6: false,
      dnsServersV4: ['10.96.0.10'],
    });
    const given = parseArgs(t('--redirect-dns --dns-servers= --enable-ipv6=true'), {});
    expect(
      fillFromEnvironment(given.config, given.explicit, { addresses: [], env: {} }),
    ).toMatchObject({ enableInboundIpv6: true, dnsServersV4: [] });
  });
});

/** A fake iptables-nft in memory: save/restore/-C/-D/-F/-X against real rule sets, optional failures. */
function fakeIptables(
  opts: { failRestore?: 'v4' | 'v6'; initial?: { v4?: string; v6?: string } } = {},
) {
  const state = {
    v4: applyRestore(opts.initial?.v4 ?? ''),
    v6: applyRestore(opts.initial?.v6 ?? ''),
  };
  const calls: string[] = [];
  const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
  const run: Runner = async (cmd, args, stdin) => {
    calls.push([cmd, ...args].join(' '));
    const fam = cmd.startsWith('ip6') ? 'v6' : 'v4';
    if (cmd.includes('legacy')) return { code: 127, stdout: '', stderr: 'not found' };
    if (cmd.endsWith('-save'))
      return ok(args[0] === '--version' ? `${cmd} v1.8.9 (nf_tables)\n` : toSaveText(state[fam]));
    if (cmd.endsWith('-restore')) {
      if (opts.failRestore === fam && args.includes('--noflush'))
        return { code: 1, stdout: '', stderr: 'iptables-restore: line 3 failed' };
      if (args.includes('--noflush')) state[fam] = applyRestore(stdin ?? '', state[fam]);
      else for (const [name, t] of applyRestore(stdin ?? '')) state[fam].set(name, t);
      return ok();
    }
    if (cmd === 'ip') return ok();
    const t = args[args.indexOf('-t') + 1];
    const op = args[2];
    if (op === '-C') return { code: 1, stdout: '', stderr: 'Bad rule' };
    try {
      const line =
        op === '-F' || op === '-X' ? `${op} ${args[3]}` : `${op} ${args.slice(3).join(' ')}`;
      state[fam] = applyRestore(`*${t}\n${line}\nCOMMIT\n`, state[fam]);
      return ok();
    } catch (e) {
      return { code: 1, stdout: '', stderr: (e as Error).message };
    }
  };
  return { run, calls, state };
}

async function runMain(argv: string[], fake = fakeIptables()) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    env: {},
    podEnv: { addresses: ['10.1.0.5'], env: {} },
    run: fake.run,
  });
  return { code, out, err, fake };
}

describe('main: the istio-iptables command', () => {
  const flags = [
    '-p',
    '15001',
    '-z',
    '15006',
    '-u',
    '1337',
    '-m',
    'REDIRECT',
    '-i',
    '*',
    '-x',
    '',
    '-b',
    '*',
    '-d',
    '15090,15021,15020',
  ];

  it('dry run: stdout is exactly the dry-run text, the variables JSON goes to stderr', async () => {
    const r = await runMain([...flags, '-n']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(dryRun(parse([...flags, '-n'])));
    expect(r.err).toContain('Istio iptables variables:\n{\n\t"PROXY_PORT": "15001"');
    expect(r.fake.calls).toEqual([]);
  });

  it('a bad value exits 1 with the message and runs nothing', async () => {
    const r = await runMain(t('-b 70000'));
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe(
      'istio-iptables: invalid value "70000" for flag -b/--istio-inbound-ports: port must be 0-65535\n',
    );
    expect(r.fake.calls).toEqual([]);
  });

  it('applies with iptables-restore --noflush, then prints the final state', async () => {
    const r = await runMain(flags);
    expect(r.code).toBe(0);
    expect(r.fake.calls).toContain('iptables-nft-restore --noflush');
    expect(r.out).toMatch(/^Final iptables state \(IPv4\):\n\*nat/);
    expect(r.out).toContain('-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT');
  });

  it('puts the tables back when applying fails half-way (IPv6 after IPv4)', async () => {
    const before =
      '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 1 -j RETURN\nCOMMIT\n';
    const fake = fakeIptables({ failRestore: 'v6', initial: { v4: before } });
    const r = await runMain([...flags, '--enable-ipv6'], fake);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'ip6tables-nft-restore failed: iptables-restore: line 3 failed (IPv4 tables nat restored; IPv6 tables nat restored)',
    );
    expect(r.fake.calls).toContain('iptables-nft-restore');
    const nat = fake.state.v4.get('nat');
    expect([...(nat?.chains.keys() ?? [])].filter((c) => c.startsWith('ISTIO'))).toEqual([]);
    expect(nat?.chains.get('PREROUTING')?.rules.map((x) => x.text)).toEqual([
      '-A PREROUTING -p tcp --dport 1 -j RETURN',
    ]);
  });

  it('--cleanup-only removes every ISTIO_ chain and the jumps to them', async () => {
    const fake = fakeIptables();
    expect(
      (
        await runMain(
          [...flags, '-m', 'TPROXY', '--redirect-dns', '--dns-servers', '10.0.0.10'],
          fake,
        )
      ).code,
    ).toBe(0);
    expect([...(fake.state.v4.get('mangle')?.chains.keys() ?? [])]).toContain('ISTIO_TPROXY');
    const r = await runMain(t('--cleanup-only'), fake);
    expect(r.code).toBe(0);
    for (const table of fake.state.v4.values()) {
      for (const ch of table.chains.values()) {
        expect(ch.name.startsWith('ISTIO_')).toBe(false);
        expect(ch.rules.filter((x) => (x.parsed.target ?? '').startsWith('ISTIO_'))).toEqual([]);
      }
    }
  });
});

// Parser tests on the real kernel recordings in test/fixtures/capture (see its README).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RuleIndex,
  RulesMonitorParser,
  TRACE_TABLE,
  TraceParser,
  activeRules,
  changesIptables,
  counterDeltas,
  parseTraceText,
  removeTraceTableScript,
  traceTableScript,
  type RuleGeneration,
} from '../../../src-main/lab/capture/index';

const fixture = (name: string): string =>
  readFileSync(resolve(import.meta.dirname, '../../fixtures/capture', name), 'utf8');

describe('trace table', () => {
  it('is an inet table at -350 on prerouting and output, idempotent, and invisible to iptables-save', () => {
    const script = traceTableScript();
    expect(script).toContain(`table inet ${TRACE_TABLE} {`);
    expect(script.match(/priority -350;/g)).toHaveLength(2);
    expect(script).toContain('type filter hook prerouting');
    expect(script).toContain('type filter hook output');
    expect(script).toContain('tcp flags & (syn | ack) == syn meta nftrace set 1');
    expect(script).toContain('udp dport 53 meta nftrace set 1');
    expect(
      script.startsWith(`add table inet ${TRACE_TABLE}\ndelete table inet ${TRACE_TABLE}\n`),
    ).toBe(true);
    expect(removeTraceTableScript()).toBe(
      `add table inet ${TRACE_TABLE}\ndelete table inet ${TRACE_TABLE}\n`,
    );
    // Recorded with the table installed: nft lists it, iptables-save does not.
    expect(fixture('nft-ruleset.txt')).toContain('table inet sidecar_lab_trace');
    expect(fixture('nft-ruleset.txt')).toContain('tcp flags syn / syn,ack meta nftrace set 1');
    expect(fixture('save-with-trace-table.txt')).not.toMatch(/sidecar_lab_trace|nftrace/);
    expect(fixture('save-with-trace-table.txt')).toContain('-A ISTIO_OUTPUT -j ISTIO_REDIRECT');
  });

  it('rejects a match that would break out of the chain', () => {
    expect(() => traceTableScript({ extra: ['udp dport 5353 }'] })).toThrow();
    expect(traceTableScript({ dnsUdp: false, extra: ['udp dport 5353'] })).toContain(
      'udp dport 5353 meta nftrace',
    );
  });
});

describe('xtables-monitor --trace (recorded)', () => {
  const events = parseTraceText(fixture('xtables-trace.txt'));
  const nat = events.filter((e) => e.table === 'nat');

  it('parses every TRACE line with its packet', () => {
    const traceLines = fixture('xtables-trace.txt')
      .split('\n')
      .filter((l) => l.trimStart().startsWith('TRACE:'));
    expect(events).toHaveLength(traceLines.length);
    expect(events.every((e) => e.packet.src !== '' && e.source === 'xtables-monitor')).toBe(true);
  });

  it('outbound app SYN: OUTPUT → ISTIO_OUTPUT → ISTIO_REDIRECT → REDIRECT 15001', () => {
    const path = nat.filter((e) => e.packet.sport === 38844);
    expect(path.map((e) => `${e.chain}:${e.verdictText}`)).toEqual([
      'OUTPUT:JUMP:ISTIO_OUTPUT',
      'ISTIO_OUTPUT:JUMP:ISTIO_REDIRECT',
      'ISTIO_REDIRECT:ACCEPT',
    ]);
    expect(path[2].redirectPort).toBe(15001);
    expect(path[2].ruleText).toBe('-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001');
    expect(path[0]).toMatchObject({
      family: 'ipv4',
      type: 'rule',
      handle: 0xf,
      target: 'ISTIO_OUTPUT',
    });
    expect(path[0].packet).toMatchObject({
      out: 'v0',
      src: '10.244.0.7',
      dst: '10.96.0.50',
      dport: 80,
      proto: 'tcp',
      syn: true,
      ack: false,
      ipId: 46272,
    });
    // After the redirect the packet loops back through lo with a new trace id, same IP id.
    const lo = events.find((e) => e.packet.dport === 15001);
    expect(lo?.packet).toMatchObject({
      in: 'lo',
      loopback: true,
      dst: '127.0.0.1',
      sport: 38844,
      ipId: 46272,
    });
    expect(lo?.table).toBe(TRACE_TABLE);
  });

  it('uid 1337 SYN: RETURN printed as 0xfffffffb, then the OUTPUT policy', () => {
    const path = nat.filter((e) => e.packet.sport === 38872);
    expect(path.map((e) => e.verdictText)).toEqual([
      'JUMP:ISTIO_OUTPUT',
      'RETURN',
      'policy:ACCEPT',
    ]);
    expect(path[1].ruleText).toBe('-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN');
    expect(path[2]).toMatchObject({
      type: 'policy',
      chain: 'OUTPUT',
      handle: null,
      ruleText: null,
    });
  });

  it('DNS over UDP: no PROTO printed, inferred from the missing TCP flags', () => {
    const dns = nat.filter((e) => e.packet.dport === 53);
    expect(dns[0].packet).toMatchObject({ proto: 'udp', dst: '10.96.0.10', syn: false });
    expect(dns.map((e) => e.verdictText)).toEqual([
      'JUMP:ISTIO_OUTPUT',
      'JUMP:ISTIO_REDIRECT',
      'policy:ACCEPT',
    ]);
  });

  it('inbound peer SYN: PREROUTING → ISTIO_INBOUND → ISTIO_IN_REDIRECT → 15006, and the 127.0.0.6 RETURN', () => {
    const path = nat.filter((e) => e.packet.sport === 34188);
    expect(path.map((e) => e.chain)).toEqual(['PREROUTING', 'ISTIO_INBOUND', 'ISTIO_IN_REDIRECT']);
    expect(path[2].redirectPort).toBe(15006);
    expect(path[0].packet).toMatchObject({
      in: 'v0',
      out: null,
      src: '10.244.0.9',
      loopback: false,
    });
    const back = nat.filter((e) => e.packet.src === '127.0.0.6');
    expect(back[1].ruleText).toBe('-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN');
  });

  it('streams across arbitrary chunk boundaries with the same result', () => {
    const text = fixture('xtables-trace.txt');
    const p = new TraceParser();
    const out = [];
    for (let i = 0; i < text.length; i += 7) out.push(...p.push(text.slice(i, i + 7)));
    out.push(...p.flush());
    expect(out).toEqual(events);
  });

  it('resolves traced rules to their number in iptables-save', () => {
    const index = RuleIndex.fromSave(fixture('save-after.txt'));
    expect(
      index.lookup('nat', 'ISTIO_OUTPUT', '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN')
        ?.number,
    ).toBe(4);
    expect(index.lookup('nat', 'ISTIO_OUTPUT', '-A ISTIO_OUTPUT -j ISTIO_REDIRECT')?.number).toBe(
      9,
    );
    expect(
      index.lookup(
        'nat',
        'ISTIO_OUTPUT',
        '-4 -t nat -A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN',
      )?.number,
    ).toBe(1);
    expect(
      index.lookup('nat', 'ISTIO_OUTPUT', '-A ISTIO_OUTPUT -d 1.2.3.4/32 -j RETURN'),
    ).toBeNull();
  });
});

describe('nft monitor trace (recorded)', () => {
  const events = parseTraceText(fixture('nft-trace.txt'));
  it('gives the same paths in nft syntax', () => {
    const path = events.filter((e) => e.table === 'nat' && e.packet.sport === 38844);
    expect(path.map((e) => e.verdictText)).toEqual([
      'JUMP:ISTIO_OUTPUT',
      'JUMP:ISTIO_REDIRECT',
      'ACCEPT',
    ]);
    expect(path[2].redirectPort).toBe(15001);
    expect(path[0]).toMatchObject({ family: 'ipv4', source: 'nft-monitor' });
    expect(path[0].packet).toMatchObject({
      out: 'v0',
      src: '10.244.0.7',
      dst: '10.96.0.50',
      proto: 'tcp',
      syn: true,
    });
    const bypass = events.filter((e) => e.table === 'nat' && e.packet.sport === 38872);
    expect(bypass.map((e) => e.verdictText)).toEqual([
      'JUMP:ISTIO_OUTPUT',
      'RETURN',
      'policy:ACCEPT',
    ]);
    expect(bypass[1].ruleText).toContain('skuid 1337');
    const own = events.find((e) => e.table === TRACE_TABLE && e.type === 'rule');
    expect(own).toMatchObject({ handle: 5, verdict: 'CONTINUE', family: 'inet' });
    expect(events.find((e) => e.packet.dport === 53)?.packet.proto).toBe('udp');
  });
});

describe('xtables-monitor --event (recorded)', () => {
  const p = new RulesMonitorParser();
  const events = p.push(fixture('rule-events.txt'));
  const gens = events.filter((e): e is RuleGeneration => e.kind === 'generation');

  it('groups changes into generations and types each change', () => {
    expect(gens.map((g) => g.program)).toEqual([
      'nft',
      ...Array(8).fill('iptables'),
      'ip6tables',
      'ip6tables',
    ]);
    expect(gens[0].changes.every((c) => c.ownTable)).toBe(true);
    expect(changesIptables(gens[0])).toBe(false);
    // `iptables -I ISTIO_OUTPUT 1 …` is reported as an append: the position is not in the event.
    expect(gens[1].changes[0]).toMatchObject({
      op: 'rule-add',
      family: 'ipv4',
      table: 'nat',
      chain: 'ISTIO_OUTPUT',
      spec: ['-d', '10.96.0.99/32', '-p', 'tcp', '-j', 'RETURN'],
    });
    expect(changesIptables(gens[1])).toBe(true);
    expect(gens[3].changes[0]).toMatchObject({ op: 'rule-delete', chain: 'ISTIO_OUTPUT' });
    expect(gens[4].changes[0]).toMatchObject({ op: 'chain-add', chain: 'LAB_TEST' });
    expect(gens[6].changes[0]).toMatchObject({ op: 'rule-delete', chain: 'LAB_TEST' }); // -F
    expect(gens[7].changes[0]).toMatchObject({ op: 'chain-delete', chain: 'LAB_TEST' });
    expect(gens[9].changes.at(-1)).toMatchObject({
      op: 'rule-add',
      family: 'ipv6',
      chain: 'OUTPUT',
    });
    expect(gens[1]).toMatchObject({ genId: 4, pid: 12302 });
  });
});

describe('counters (recorded iptables-save -c)', () => {
  it('gives per-rule deltas keyed by table/chain/number', () => {
    const d = counterDeltas(fixture('save-before.txt'), fixture('save-after.txt'));
    expect(d.rules.get('nat/ISTIO_OUTPUT/4')).toMatchObject({
      packets: 2,
      bytes: 120,
      ruleText: '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN',
    });
    expect(d.rules.get('nat/ISTIO_REDIRECT/1')).toMatchObject({ packets: 1, bytes: 60 });
    expect(d.rules.get('nat/OUTPUT/1')).toMatchObject({ packets: 6, bytes: 361 });
    expect(d.rules.get('nat/ISTIO_INBOUND/1')).toMatchObject({ packets: 0 });
    expect(activeRules(d)[0].chain).toBe('OUTPUT');
    expect(d.removed).toEqual([]);
  });

  it('follows rules that moved, counts inserted ones whole, and notices resets', () => {
    const before =
      '*nat\n:OUTPUT ACCEPT [5:300]\n[3:180] -A OUTPUT -d 10.0.0.1/32 -j RETURN\n[4:240] -A OUTPUT -j ACCEPT\nCOMMIT\n';
    const after =
      '*nat\n:OUTPUT ACCEPT [9:540]\n[2:120] -A OUTPUT -d 10.0.0.9/32 -j RETURN\n[5:300] -A OUTPUT -d 10.0.0.1/32 -j RETURN\n[1:60] -A OUTPUT -j ACCEPT\nCOMMIT\n';
    const d = counterDeltas(before, after);
    expect(d.rules.get('nat/OUTPUT/1')).toMatchObject({ packets: 2, added: true });
    expect(d.rules.get('nat/OUTPUT/2')).toMatchObject({ packets: 2, added: false, reset: false });
    expect(d.rules.get('nat/OUTPUT/3')).toMatchObject({ packets: 1, reset: true });
    expect(d.policies.get('nat/OUTPUT')).toMatchObject({ packets: 4, bytes: 240 });
  });
});

// Query handling without sockets: RCODEs, negative answers, EDNS and truncation.
import { describe, expect, it } from 'vitest';
import { answerQuery } from '../../../src-pod/node-agent/dns/answer';
import {
  CLASS_IN,
  RCODE,
  TYPE,
  decode,
  encode,
  makeFlags,
  type DnsMessage,
  type DnsRecord,
} from '../../../src-pod/node-agent/dns/wire';
import { Zone, type DnsRecordSet } from '../../../src-pod/node-agent/dns/zone';

const RECORDS: DnsRecordSet = {
  'httpbin.default.svc.cluster.local': { a: ['10.96.0.20'], aaaa: ['fd00:0:0::20'] },
  'kubernetes.default.svc.cluster.local.': { a: ['10.96.0.1'] },
  '_http._tcp.httpbin.default.svc.cluster.local': {
    srv: [{ port: 8000, target: 'httpbin.default.svc.cluster.local' }],
  },
  'big.default.svc.cluster.local': {
    a: Array.from({ length: 40 }, (_, i) => `10.244.1.${i + 1}`),
  },
};

const zone = new Zone(RECORDS, { domain: 'cluster.local', ttl: 30, negativeTtl: 5, serial: 42 });

const OPT = (payload: number, version = 0): DnsRecord => ({
  name: '',
  class: payload,
  ttl: version << 16,
  data: { type: 'RAW', code: TYPE.OPT, bytes: Buffer.alloc(0) },
});

function query(name: string, type: number, extra: Partial<DnsMessage> = {}): Buffer {
  return encode({
    id: 0xbeef,
    flags: makeFlags({ rd: true }),
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
    ...extra,
  });
}

function ask(packet: Buffer, transport: 'udp' | 'tcp' = 'udp'): DnsMessage {
  const response = answerQuery(zone, packet, transport);
  if (!response) throw new Error('no response');
  return decode(response);
}

describe('answerQuery', () => {
  it('answers A authoritatively with TTL 30, echoing ID, RD and the name as asked', () => {
    const msg = ask(query('HttpBin.Default.SVC.cluster.local', TYPE.A));
    expect(msg.id).toBe(0xbeef);
    expect(msg.flags).toMatchObject({
      qr: true,
      aa: true,
      rd: true,
      tc: false,
      rcode: RCODE.NOERROR,
    });
    expect(msg.answers).toEqual([
      {
        name: 'HttpBin.Default.SVC.cluster.local',
        class: 1,
        ttl: 30,
        data: { type: 'A', address: '10.96.0.20' },
      },
    ]);
  });

  it('answers ANY with every record of the name', () => {
    const types = ask(query('httpbin.default.svc.cluster.local', TYPE.ANY)).answers.map(
      (a) => a.data.type,
    );
    expect(types.sort()).toEqual(['A', 'AAAA']);
  });

  it('answers SRV with the target addresses as additionals', () => {
    const msg = ask(query('_http._tcp.httpbin.default.svc.cluster.local', TYPE.SRV));
    expect(msg.answers[0].data).toEqual({
      type: 'SRV',
      priority: 0,
      weight: 100,
      port: 8000,
      target: 'httpbin.default.svc.cluster.local',
    });
    expect(msg.additionals.map((r) => r.data.type).sort()).toEqual(['A', 'AAAA']);
  });

  it('answers NXDOMAIN with the zone SOA in authority, TTL 5', () => {
    const msg = ask(query('nope.default.svc.cluster.local', TYPE.A));
    expect(msg.flags.rcode).toBe(RCODE.NXDOMAIN);
    expect(msg.flags.aa).toBe(true);
    expect(msg.answers).toEqual([]);
    expect(msg.authorities).toHaveLength(1);
    expect(msg.authorities[0]).toMatchObject({
      name: 'cluster.local',
      ttl: 5,
      data: { type: 'SOA', mname: 'ns.dns.cluster.local', serial: 42, minimum: 5 },
    });
  });

  it('answers NODATA for a missing type and for names that only have children', () => {
    for (const [name, type] of [
      ['kubernetes.default.svc.cluster.local', TYPE.AAAA],
      ['default.svc.cluster.local', TYPE.A],
      ['svc.cluster.local', TYPE.A],
      ['cluster.local', TYPE.A],
    ] as const) {
      const msg = ask(query(name, type));
      expect(msg.flags.rcode, name).toBe(RCODE.NOERROR);
      expect(msg.answers, name).toEqual([]);
      expect(msg.authorities[0].data.type, name).toBe('SOA');
    }
  });

  it('answers SOA at the apex', () => {
    expect(ask(query('cluster.local', TYPE.SOA)).answers[0]).toMatchObject({
      ttl: 30,
      data: { type: 'SOA' },
    });
  });

  it('answers PTR for the addresses of the record set, NXDOMAIN for others', () => {
    expect(ask(query('20.0.96.10.in-addr.arpa', TYPE.PTR)).answers[0].data).toEqual({
      type: 'PTR',
      target: 'httpbin.default.svc.cluster.local',
    });
    const v6 = `0.2.0.0.${'0.'.repeat(24)}0.0.d.f.ip6.arpa`;
    expect(ask(query(v6, TYPE.PTR)).answers).toHaveLength(1);
    const unknown = ask(query('8.8.8.8.in-addr.arpa', TYPE.PTR));
    expect(unknown.flags.rcode).toBe(RCODE.NXDOMAIN);
    expect(unknown.authorities[0].name).toBe('in-addr.arpa');
  });

  it('refuses names outside the cluster domain, without AA', () => {
    for (const name of ['example.com', 'local', 'notcluster.local', '']) {
      const msg = ask(query(name, TYPE.A));
      expect(msg.flags.rcode, name).toBe(RCODE.REFUSED);
      expect(msg.flags.aa, name).toBe(false);
    }
  });

  it('refuses classes other than IN', () => {
    const chaos = encode({
      ...decode(query('version.bind', TYPE.TXT)),
      questions: [{ name: 'version.bind', type: TYPE.TXT, class: 3 }],
    });
    expect(ask(chaos).flags.rcode).toBe(RCODE.REFUSED);
  });

  it('answers NOTIMP to opcodes other than QUERY, keeping the opcode', () => {
    const notify = query('cluster.local', TYPE.SOA, { flags: makeFlags({ opcode: 4 }) });
    const msg = ask(notify);
    expect(msg.flags).toMatchObject({ rcode: RCODE.NOTIMP, opcode: 4, qr: true });
  });

  it('answers FORMERR to garbage and to a query with two questions', () => {
    const garbage = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0]);
    const msg = ask(garbage);
    expect(msg.id).toBe(0xabcd);
    expect(msg.flags).toMatchObject({ qr: true, rd: true, rcode: RCODE.FORMERR });
    expect(msg.questions).toEqual([]);
    const two = query('cluster.local', TYPE.A, {
      questions: [
        { name: 'a.cluster.local', type: TYPE.A, class: CLASS_IN },
        { name: 'b.cluster.local', type: TYPE.A, class: CLASS_IN },
      ],
    });
    expect(ask(two).flags.rcode).toBe(RCODE.FORMERR);
  });

  it('stays silent for responses and for packets shorter than a header', () => {
    const response = query('cluster.local', TYPE.A, { flags: makeFlags({ qr: true }) });
    expect(answerQuery(zone, response, 'udp')).toBeNull();
    expect(answerQuery(zone, Buffer.from([1, 2, 3]), 'udp')).toBeNull();
  });

  it('sets TC over UDP when the answer passes 512 bytes without EDNS', () => {
    const packet = query('big.default.svc.cluster.local', TYPE.A);
    const udp = answerQuery(zone, packet, 'udp');
    expect(udp?.length).toBeLessThanOrEqual(512);
    const truncated = decode(udp ?? Buffer.alloc(0));
    expect(truncated.flags.tc).toBe(true);
    expect(truncated.answers).toEqual([]);
    expect(truncated.questions[0].name).toBe('big.default.svc.cluster.local');
    const tcp = ask(packet, 'tcp');
    expect(tcp.flags.tc).toBe(false);
    expect(tcp.answers).toHaveLength(40);
  });

  it('fits the answer in a bigger EDNS payload and answers with an OPT', () => {
    const msg = ask(query('big.default.svc.cluster.local', TYPE.A, { additionals: [OPT(1232)] }));
    expect(msg.flags.tc).toBe(false);
    expect(msg.answers).toHaveLength(40);
    const opt = msg.additionals.find((r) => r.data.type === 'RAW' && r.data.code === TYPE.OPT);
    expect(opt?.class).toBe(1232);
    // A tiny advertised payload still means at least 512.
    expect(
      ask(query('httpbin.default.svc.cluster.local', TYPE.A, { additionals: [OPT(100)] })).flags.tc,
    ).toBe(false);
  });

  it('answers BADVERS to EDNS versions above 0', () => {
    const msg = ask(query('cluster.local', TYPE.SOA, { additionals: [OPT(1232, 1)] }));
    expect(msg.flags.rcode).toBe(0);
    const opt = msg.additionals[0];
    expect(opt.ttl >>> 24).toBe(1);
  });
});

describe('Zone', () => {
  it('rejects bad records', () => {
    const opts = { domain: 'cluster.local', ttl: 30, negativeTtl: 5, serial: 1 };
    expect(() => new Zone({ 'a.cluster.local': { a: ['fd00::1'] } }, opts)).toThrow(/IPv4/);
    expect(() => new Zone({ 'a.cluster.local': { aaaa: ['10.0.0.1'] } }, opts)).toThrow(/IPv6/);
    expect(() => new Zone({ 'example.com': { a: ['10.0.0.1'] } }, opts)).toThrow(/outside/);
    expect(() => new Zone({}, { ...opts, domain: '.' })).toThrow(/empty/);
  });
});

// DNS wire codec and address helpers: round trips, compression, and malformed input.
import { describe, expect, it } from 'vitest';
import { bytesToIpv6, ipv6ToBytes, reverseName } from '../../../src-pod/node-agent/dns/ip';
import {
  CLASS_IN,
  DnsWireError,
  TYPE,
  decode,
  encode,
  makeFlags,
  type DnsMessage,
} from '../../../src-pod/node-agent/dns/wire';

function message(overrides: Partial<DnsMessage> = {}): DnsMessage {
  return {
    id: 0x1234,
    flags: makeFlags({ qr: true, aa: true, rd: true }),
    questions: [{ name: 'httpbin.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
    ...overrides,
  };
}

const header = (id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): number[] => [
  id >> 8,
  id & 0xff,
  flags >> 8,
  flags & 0xff,
  0,
  qd,
  0,
  an,
  0,
  ns,
  0,
  ar,
];

describe('encode/decode', () => {
  it('round-trips every record type it knows, and unknown ones as raw bytes', () => {
    const msg = message({
      answers: [
        {
          name: 'httpbin.default.svc.cluster.local',
          class: CLASS_IN,
          ttl: 30,
          data: { type: 'A', address: '10.96.0.20' },
        },
        {
          name: 'httpbin.default.svc.cluster.local',
          class: CLASS_IN,
          ttl: 30,
          data: { type: 'AAAA', address: 'fd00::20' },
        },
        {
          name: '20.0.96.10.in-addr.arpa',
          class: CLASS_IN,
          ttl: 30,
          data: { type: 'PTR', target: 'httpbin.default.svc.cluster.local' },
        },
        {
          name: 'alias.default.svc.cluster.local',
          class: CLASS_IN,
          ttl: 30,
          data: { type: 'CNAME', target: 'example.com' },
        },
        {
          name: 'cluster.local',
          class: CLASS_IN,
          ttl: 30,
          data: { type: 'NS', target: 'ns.dns.cluster.local' },
        },
        {
          name: '_http._tcp.httpbin.default.svc.cluster.local',
          class: CLASS_IN,
          ttl: 30,
          data: {
            type: 'SRV',
            priority: 0,
            weight: 100,
            port: 80,
            target: 'httpbin.default.svc.cluster.local',
          },
        },
        {
          name: 'txt.cluster.local',
          class: CLASS_IN,
          ttl: 7,
          data: { type: 'RAW', code: TYPE.TXT, bytes: Buffer.from('\x02hi') },
        },
      ],
      authorities: [
        {
          name: 'cluster.local',
          class: CLASS_IN,
          ttl: 5,
          data: {
            type: 'SOA',
            mname: 'ns.dns.cluster.local',
            rname: 'hostmaster.cluster.local',
            serial: 4294967295,
            refresh: 7200,
            retry: 1800,
            expire: 86400,
            minimum: 5,
          },
        },
      ],
      additionals: [
        {
          name: '',
          class: 1232,
          ttl: 0,
          data: { type: 'RAW', code: TYPE.OPT, bytes: Buffer.alloc(0) },
        },
      ],
    });
    const wire = encode(msg);
    expect(decode(wire)).toEqual(msg);
  });

  it('round-trips every header flag', () => {
    const flags = makeFlags({
      qr: true,
      opcode: 5,
      aa: true,
      tc: true,
      rd: true,
      ra: true,
      ad: true,
      cd: true,
      rcode: 15,
    });
    expect(decode(encode(message({ flags }))).flags).toEqual(flags);
  });

  it('compresses repeated names with pointers to their first occurrence', () => {
    const answer = { name: 'httpbin.default.svc.cluster.local', class: CLASS_IN, ttl: 30 };
    const wire = encode(
      message({
        answers: [
          { ...answer, data: { type: 'A', address: '10.0.0.1' } },
          {
            ...answer,
            name: 'HTTPBIN.default.svc.cluster.local',
            data: { type: 'A', address: '10.0.0.2' },
          },
        ],
      }),
    );
    // Header 12, question 35 + 4, then each answer is a 2-byte pointer + 10 + 4.
    expect(wire.length).toBe(12 + 35 + 4 + 2 * (2 + 10 + 4));
    expect(wire.readUInt16BE(12 + 35 + 4)).toBe(0xc000 | 12);
  });

  it('reads names compressed by someone else, keeping case', () => {
    const packet = Buffer.from([
      ...header(7, 0x8180, 1, 1),
      ...[3, ...Buffer.from('Foo'), 7, ...Buffer.from('cluster'), 5, ...Buffer.from('local'), 0],
      0,
      1,
      0,
      1,
      // Answer name: "www" then a pointer to "cluster.local" at offset 16.
      3,
      ...Buffer.from('www'),
      0xc0,
      16,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      30,
      0,
      4,
      10,
      0,
      0,
      9,
    ]);
    const msg = decode(packet);
    expect(msg.questions[0].name).toBe('Foo.cluster.local');
    expect(msg.answers[0]).toEqual({
      name: 'www.cluster.local',
      class: 1,
      ttl: 30,
      data: { type: 'A', address: '10.0.0.9' },
    });
  });

  it('escapes dots and odd bytes inside labels, and reads them back', () => {
    const name = 'a\\.b.x\\000y.cluster.local';
    const wire = encode(message({ questions: [{ name, type: TYPE.A, class: CLASS_IN }] }));
    expect(wire.subarray(12, 16)).toEqual(Buffer.from([3, 0x61, 0x2e, 0x62]));
    expect(decode(wire).questions[0].name).toBe(name);
  });

  it('takes the root name and a trailing dot', () => {
    const msg = decode(
      encode(message({ questions: [{ name: '.', type: TYPE.SOA, class: CLASS_IN }] })),
    );
    expect(msg.questions[0].name).toBe('');
    const dotted = decode(
      encode(message({ questions: [{ name: 'cluster.local.', type: TYPE.A, class: CLASS_IN }] })),
    );
    expect(dotted.questions[0].name).toBe('cluster.local');
  });

  it('refuses names it cannot encode', () => {
    const q = (name: string): DnsMessage =>
      message({ questions: [{ name, type: TYPE.A, class: CLASS_IN }] });
    expect(() => encode(q(`${'a'.repeat(64)}.local`))).toThrow(DnsWireError);
    expect(() => encode(q('a..local'))).toThrow(DnsWireError);
    expect(() => encode(q(Array.from({ length: 130 }, () => 'a').join('.')))).toThrow(/too long/);
    expect(() => encode(q('bad\\'))).toThrow(/escape/);
  });
});

describe('decode of malformed packets', () => {
  const question = [1, 0x61, 0, 0, 1, 0, 1];
  const cases: Array<[string, number[]]> = [
    ['shorter than a header', [0, 1, 0]],
    ['question count past the end', header(1, 0, 2).concat(question)],
    ['label past the end', [...header(1, 0, 1), 9, 0x61, 0x62]],
    ['pointer to itself', [...header(1, 0, 1), 0xc0, 12, 0, 1, 0, 1]],
    ['pointer forward', [...header(1, 0, 1), 0xc0, 20, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0x61, 0]],
    [
      'pointer loop through a label',
      [...header(1, 0, 2), ...question, 1, 0x62, 0xc0, 19, 0, 1, 0, 1],
    ],
    ['half a pointer', [...header(1, 0, 1), 0xc0]],
    ['extended label type', [...header(1, 0, 1), 0x41, 0, 0, 1, 0, 1]],
    [
      'name over 255 bytes',
      [
        ...header(1, 0, 1),
        ...Array.from({ length: 5 }, () => [63, ...Buffer.alloc(63, 0x61)]).flat(),
        0,
        0,
        1,
        0,
        1,
      ],
    ],
    [
      'record data past the end',
      [...header(1, 0x8000, 1, 1), ...question, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 1, 2],
    ],
    [
      'A record of 5 bytes',
      [...header(1, 0x8000, 1, 1), ...question, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 1, 2, 3, 4, 5],
    ],
    [
      'PTR name shorter than its length',
      [...header(1, 0x8000, 1, 1), ...question, 0, 0, 12, 0, 1, 0, 0, 0, 1, 0, 4, 1, 0x61, 0, 0],
    ],
  ];
  it.each(cases)('rejects %s', (_what, bytes) => {
    expect(() => decode(Buffer.from(bytes))).toThrow(DnsWireError);
  });

  it('ignores bytes after the last section', () => {
    const wire = Buffer.concat([encode(message()), Buffer.from([1, 2, 3])]);
    expect(decode(wire).questions).toHaveLength(1);
  });
});

describe('address helpers', () => {
  it('prints IPv6 the RFC 5952 way whatever form came in', () => {
    for (const [input, canonical] of [
      ['::', '::'],
      ['::1', '::1'],
      ['FD00:0:0:0:0:0:0:20', 'fd00::20'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:1:1:1:1:1:1', '2001:db8:1:1:1:1:1:1'],
      ['2001:0:0:1::', '2001:0:0:1::'],
      ['::ffff:10.1.2.3', '::ffff:a01:203'],
    ]) {
      expect(bytesToIpv6(ipv6ToBytes(input))).toBe(canonical);
    }
    expect(() => ipv6ToBytes('10.0.0.1')).toThrow(TypeError);
  });

  it('builds reverse names for both families', () => {
    expect(reverseName('10.96.0.20')).toBe('20.0.96.10.in-addr.arpa');
    expect(reverseName('fd00::20')).toBe(`0.2.0.0.${'0.'.repeat(24)}0.0.d.f.ip6.arpa`);
  });
});

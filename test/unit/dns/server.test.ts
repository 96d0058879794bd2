// The DNS server on real loopback sockets, asked by node's own resolver and by raw UDP/TCP clients.
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDnsServer, type DnsServer } from '../../../src-pod/node-agent/dns';
import type { DnsRecordSet } from '../../../src-pod/node-agent/dns/zone';
import {
  CLASS_IN,
  RCODE,
  TYPE,
  decode,
  encode,
  makeFlags,
} from '../../../src-pod/node-agent/dns/wire';

const RECORDS: DnsRecordSet = {
  'httpbin.default.svc.cluster.local': { a: ['10.96.0.20'], aaaa: ['fd00::20'] },
  'kubernetes.default.svc.cluster.local': { a: ['10.96.0.1'] },
  '_http._tcp.httpbin.default.svc.cluster.local': {
    srv: [{ port: 8000, target: 'httpbin.default.svc.cluster.local' }],
  },
};

function query(id: number, name: string, type: number): Buffer {
  return encode({
    id,
    flags: makeFlags({ rd: true }),
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
  });
}

function udpExchange(port: number, packet: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP answer'));
    }, 2000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(packet, port, '127.0.0.1');
  });
}

/** Sends framed queries on one TCP connection and collects `count` framed answers. */
function tcpExchange(port: number, packets: Buffer[], count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const answers: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`got ${answers.length} of ${count} TCP answers`));
    }, 2000);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        answers.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (answers.length >= count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answers);
      }
    });
    const framed = packets.map((p) => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(p.length);
      return Buffer.concat([prefix, p]);
    });
    socket.write(Buffer.concat(framed));
  });
}

describe('DNS server', () => {
  let server: DnsServer;
  let resolver: Resolver;
  let lines: string[];

  beforeEach(async () => {
    lines = [];
    server = await createDnsServer({
      port: 0,
      host: '127.0.0.1',
      records: RECORDS,
      log: (l) => lines.push(l),
    });
    resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${server.port}`]);
  });
  afterEach(async () => {
    resolver.cancel();
    await server.close();
  });

  it('answers A with TTL 30', async () => {
    expect(await resolver.resolve4('httpbin.default.svc.cluster.local', { ttl: true })).toEqual([
      { address: '10.96.0.20', ttl: 30 },
    ]);
    expect(
      lines.some((l) => l.includes('httpbin.default.svc.cluster.local NOERROR answers=1')),
    ).toBe(true);
  });

  it('answers AAAA', async () => {
    expect(await resolver.resolve6('httpbin.default.svc.cluster.local')).toEqual(['fd00::20']);
  });

  it('answers PTR for both families', async () => {
    expect(await resolver.reverse('10.96.0.20')).toEqual(['httpbin.default.svc.cluster.local']);
    expect(await resolver.reverse('fd00::20')).toEqual(['httpbin.default.svc.cluster.local']);
  });

  it('answers SRV and SOA', async () => {
    expect(await resolver.resolveSrv('_http._tcp.httpbin.default.svc.cluster.local')).toEqual([
      { name: 'httpbin.default.svc.cluster.local', port: 8000, priority: 0, weight: 100 },
    ]);
    expect(await resolver.resolveSoa('cluster.local')).toMatchObject({
      nsname: 'ns.dns.cluster.local',
      hostmaster: 'hostmaster.cluster.local',
      minttl: 5,
    });
  });

  it('matches names whatever their case', async () => {
    expect(await resolver.resolve4('KUBERNETES.Default.Svc.Cluster.Local')).toEqual(['10.96.0.1']);
  });

  it('answers NXDOMAIN inside the domain and NODATA for a missing type', async () => {
    await expect(resolver.resolve4('nope.default.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    await expect(resolver.resolve6('kubernetes.default.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENODATA',
    });
  });

  it('refuses names outside the cluster domain', async () => {
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('replaces its records with setRecords', async () => {
    server.setRecords({
      'reviews.default.svc.cluster.local.': { a: ['10.96.0.30', '10.96.0.31'] },
    });
    expect((await resolver.resolve4('reviews.default.svc.cluster.local')).sort()).toEqual([
      '10.96.0.30',
      '10.96.0.31',
    ]);
    await expect(resolver.resolve4('httpbin.default.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    expect(() => server.setRecords({ 'x.cluster.local': { a: ['nope'] } })).toThrow(TypeError);
    // A rejected set leaves the previous records in place.
    expect(await resolver.resolve4('reviews.default.svc.cluster.local')).toHaveLength(2);
  });

  it('sends TC over UDP for a big answer, and the resolver gets it all over TCP', async () => {
    const many = Array.from(
      { length: 100 },
      (_, i) => `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    );
    server.setRecords({ 'big.default.svc.cluster.local': { a: many } });
    const udp = decode(
      await udpExchange(server.port, query(1, 'big.default.svc.cluster.local', TYPE.A)),
    );
    expect(udp.flags.tc).toBe(true);
    expect((await resolver.resolve4('big.default.svc.cluster.local')).sort()).toEqual(
      [...many].sort(),
    );
    expect(lines.some((l) => l.startsWith('dns tcp ') && l.includes('answers=100'))).toBe(true);
  });

  it('answers pipelined queries on one TCP connection', async () => {
    const answers = await tcpExchange(
      server.port,
      [
        query(1, 'httpbin.default.svc.cluster.local', TYPE.A),
        query(2, 'example.com', TYPE.A),
        query(3, 'nope.cluster.local', TYPE.AAAA),
      ],
      3,
    );
    const byId = new Map(answers.map((a) => decode(a)).map((m) => [m.id, m]));
    expect(byId.get(1)?.answers[0].data).toEqual({ type: 'A', address: '10.96.0.20' });
    expect(byId.get(2)?.flags.rcode).toBe(RCODE.REFUSED);
    expect(byId.get(3)?.flags.rcode).toBe(RCODE.NXDOMAIN);
  });

  it('answers FORMERR to garbage over UDP and keeps serving', async () => {
    const garbage = Buffer.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x61]);
    const reply = decode(await udpExchange(server.port, garbage));
    expect(reply.id).toBe(0x1234);
    expect(reply.flags.rcode).toBe(RCODE.FORMERR);
    expect(await resolver.resolve4('httpbin.default.svc.cluster.local')).toEqual(['10.96.0.20']);
  });
});

describe('DNS server options', () => {
  it('uses the domain and TTLs it is given', async () => {
    const server = await createDnsServer({
      port: 0,
      host: '127.0.0.1',
      domain: 'lab.example',
      ttl: 7,
      records: { 'a.lab.example': { a: ['10.0.0.1'] } },
    });
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${server.port}`]);
    try {
      expect(await resolver.resolve4('a.lab.example', { ttl: true })).toEqual([
        { address: '10.0.0.1', ttl: 7 },
      ]);
      await expect(resolver.resolve4('a.cluster.local')).rejects.toMatchObject({
        code: 'EREFUSED',
      });
    } finally {
      resolver.cancel();
      await server.close();
    }
  });

  it('refuses to start with records outside its domain', async () => {
    await expect(
      createDnsServer({
        port: 0,
        host: '127.0.0.1',
        records: { 'example.com': { a: ['10.0.0.1'] } },
      }),
    ).rejects.toThrow(/outside the cluster domain/);
  });
});

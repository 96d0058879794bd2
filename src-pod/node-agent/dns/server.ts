// The kube-dns stand-in's sockets: UDP and TCP on one port, answering from a replaceable zone.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { answerQuery, type Transport } from './answer';
import { RCODE, TYPE, decode } from './wire';
import { Zone, type DnsRecordSet } from './zone';

export interface DnsServerOptions {
  /** Default 53; 0 picks a free port (the same one for UDP and TCP). */
  port?: number;
  /** Default `0.0.0.0`; an IPv6 address (`::` is dual stack) binds IPv6 sockets. */
  host?: string;
  records?: DnsRecordSet;
  /** Default `cluster.local`. */
  domain?: string;
  /** TTL of answers; default 30, the `ttl 30` of the Corefile Kubernetes installs. */
  ttl?: number;
  /** TTL of negative answers (NXDOMAIN, NODATA); default 5. */
  negativeTtl?: number;
  /** One line per query when given. */
  log?: (line: string) => void;
}

export interface DnsServer {
  port: number;
  /** Replaces every record at once; throws TypeError (keeping the old ones) on bad input. */
  setRecords(records: DnsRecordSet): void;
  close(): Promise<void>;
}

// A TCP client that goes quiet is dropped, as RFC 7766 lets a server do.
const TCP_IDLE_MS = 10_000;
const PORT_ATTEMPTS = 10;

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));

function bindUdp(port: number, host: string): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', reject);
    socket.bind({ port, address: host }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function listenTcp(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeUdp(socket: UdpSocket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

function closeTcp(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/** UDP and TCP on the same port; with port 0 the UDP pick may be taken for TCP, so pick again. */
async function bindBoth(wanted: number, host: string, onTcp: (socket: Socket) => void) {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(wanted, host);
    const tcp = createServer(onTcp);
    try {
      await listenTcp(tcp, udp.address().port, host);
      return { udp, tcp };
    } catch (err) {
      await closeUdp(udp);
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (wanted !== 0 || !inUse || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/** Starts the server; resolves once both sockets listen. */
export async function createDnsServer(opts: DnsServerOptions = {}): Promise<DnsServer> {
  const host = opts.host ?? '0.0.0.0';
  const domain = opts.domain ?? 'cluster.local';
  const ttl = opts.ttl ?? 30;
  const negativeTtl = opts.negativeTtl ?? 5;
  const log = opts.log;
  let serial = Math.floor(Date.now() / 1000);
  let zone = new Zone(opts.records ?? {}, { domain, ttl, negativeTtl, serial });

  const respond = (packet: Buffer, transport: Transport, peer: string): Buffer | null => {
    let response: Buffer | null;
    try {
      response = answerQuery(zone, packet, transport);
    } catch (err) {
      // A bug here must cost one query, not the node's DNS.
      log?.(`dns ${transport} ${peer} error: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
    if (log && response) {
      const msg = decode(response);
      const q = msg.questions[0];
      const rcode = RCODE_NAMES.get(msg.flags.rcode) ?? String(msg.flags.rcode);
      const what = q ? `${TYPE_NAMES.get(q.type) ?? q.type} ${q.name}` : '-';
      log(
        `dns ${transport} ${peer} ${what} ${rcode} answers=${msg.answers.length}${msg.flags.tc ? ' TC' : ''}`,
      );
    }
    return response;
  };

  const tcpSockets = new Set<Socket>();
  const onTcp = (socket: Socket): void => {
    tcpSockets.add(socket);
    const peer = socket.remoteAddress ?? '-';
    let pending: Buffer = Buffer.alloc(0);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.once('close', () => tcpSockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // Each message has a two-byte length prefix; clients may pipeline several.
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const response = respond(pending.subarray(2, 2 + length), 'tcp', peer);
        pending = pending.subarray(2 + length);
        if (!response) continue;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(response.length);
        socket.write(Buffer.concat([prefix, response]));
      }
    });
  };

  const { udp: udpSocket, tcp: tcpServer } = await bindBoth(opts.port ?? 53, host, onTcp);
  udpSocket.on('message', (packet: Buffer, from: RemoteInfo) => {
    const response = respond(packet, 'udp', from.address);
    if (response) udpSocket.send(response, from.port, from.address);
  });
  udpSocket.on('error', (err) => log?.(`dns udp error: ${err.message}`));

  return {
    port: udpSocket.address().port,
    setRecords(records: DnsRecordSet): void {
      // Secondaries and caches compare serials, so every change gets a larger one.
      const next = Math.max(serial + 1, Math.floor(Date.now() / 1000));
      zone = new Zone(records, { domain, ttl, negativeTtl, serial: next });
      serial = next;
    },
    async close(): Promise<void> {
      const closing = closeTcp(tcpServer);
      for (const socket of tcpSockets) socket.destroy();
      await Promise.all([closing, closeUdp(udpSocket)]);
    },
  };
}

// One DNS query in, one response out: header checks, EDNS, truncation; the zone does the lookup.
import {
  CLASS_ANY,
  CLASS_IN,
  DnsWireError,
  HEADER_SIZE,
  RCODE,
  TYPE,
  decode,
  encode,
  makeFlags,
  wordToFlags,
  type DnsFlags,
  type DnsMessage,
  type DnsRecord,
} from './wire';
import type { Zone } from './zone';

export type Transport = 'udp' | 'tcp';

/** Classic DNS over UDP: anything longer is sent with TC set so the client retries over TCP. */
export const UDP_LIMIT_PLAIN = 512;
// What we advertise and accept over UDP with EDNS: the DNS flag day 2020 value, no fragments.
const UDP_LIMIT_EDNS = 1232;

interface Edns {
  version: number;
  payload: number;
}

function opt(extendedRcode: number): DnsRecord {
  return {
    name: '',
    class: UDP_LIMIT_EDNS,
    ttl: (extendedRcode >> 4) << 24,
    data: { type: 'RAW', code: TYPE.OPT, bytes: Buffer.alloc(0) },
  };
}

function reply(query: DnsMessage, rcode: number, aa = false): DnsMessage {
  return {
    id: query.id,
    flags: makeFlags({ qr: true, opcode: query.flags.opcode, aa, rd: query.flags.rd, rcode }),
    questions: query.questions,
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/**
 * Builds the response bytes for `packet`, or null when nothing should be sent back (a
 * response, or a fragment too short to carry an ID to answer to).
 */
export function answerQuery(zone: Zone, packet: Buffer, transport: Transport): Buffer | null {
  if (packet.length < HEADER_SIZE) return null;
  const header = wordToFlags(packet.readUInt16BE(2));
  // Answering responses would let two servers bounce packets between them forever.
  if (header.qr) return null;
  let query: DnsMessage;
  try {
    query = decode(packet);
  } catch (err) {
    if (!(err instanceof DnsWireError)) throw err;
    const flags = makeFlags({
      qr: true,
      opcode: header.opcode,
      rd: header.rd,
      rcode: RCODE.FORMERR,
    });
    return encode(emptyMessage(packet.readUInt16BE(0), flags));
  }

  const opts = query.additionals.filter((r) => r.data.type === 'RAW' && r.data.code === TYPE.OPT);
  const edns: Edns | undefined =
    opts.length > 0 ? { version: (opts[0].ttl >>> 16) & 0xff, payload: opts[0].class } : undefined;
  const finish = (msg: DnsMessage, extendedRcode = msg.flags.rcode): Buffer => {
    msg.flags.rcode = extendedRcode & 0xf;
    if (edns) msg.additionals.push(opt(extendedRcode));
    return truncate(msg, transport, edns);
  };

  if (query.flags.opcode !== 0) return finish(reply(query, RCODE.NOTIMP));
  // RFC 9619: exactly one question; RFC 6891: at most one OPT.
  if (query.questions.length !== 1 || opts.length > 1) {
    return finish(reply({ ...query, questions: [] }, RCODE.FORMERR));
  }
  if (edns && edns.version > 0) return finish(reply(query, 0), RCODE.BADVERS);
  const question = query.questions[0];
  if (question.class !== CLASS_IN && question.class !== CLASS_ANY) {
    return finish(reply(query, RCODE.REFUSED));
  }
  if (question.type === TYPE.OPT) return finish(reply(query, RCODE.FORMERR));

  const found = zone.lookup(question.name, question.type);
  const msg = reply(query, found.rcode, found.authoritative);
  msg.answers = found.answers;
  msg.authorities = found.authorities;
  msg.additionals = found.additionals;
  return finish(msg);
}

function emptyMessage(id: number, flags: DnsFlags): DnsMessage {
  return {
    id,
    flags,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** Over UDP, a response that does not fit loses its records and gets TC (RFC 2181 §9). */
function truncate(msg: DnsMessage, transport: Transport, edns: Edns | undefined): Buffer {
  const full = encode(msg);
  if (transport === 'tcp') return full;
  const limit = edns
    ? Math.min(Math.max(edns.payload, UDP_LIMIT_PLAIN), UDP_LIMIT_EDNS)
    : UDP_LIMIT_PLAIN;
  if (full.length <= limit) return full;
  const keepOpt = msg.additionals.filter((r) => r.data.type === 'RAW' && r.data.code === TYPE.OPT);
  return encode({
    ...msg,
    flags: { ...msg.flags, tc: true },
    answers: [],
    authorities: [],
    additionals: keepOpt,
  });
}

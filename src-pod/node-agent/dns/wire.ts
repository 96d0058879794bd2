// DNS message wire format (RFC 1035, 3596, 2782, 6891): pure encode/decode, no sockets.
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes } from './ip';
import {
  DnsWireError,
  HEADER_SIZE,
  TYPE,
  flagsToWord,
  typeCode,
  wordToFlags,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  type RData,
} from './wire-types';

export * from './wire-types';

const MAX_MESSAGE = 65535;
const MAX_NAME_WIRE = 255;
const MAX_POINTER_JUMPS = 64;

// ---------- names ----------

/** Splits presentation text into label bytes, honouring `\.` and `\DDD` escapes. */
function nameToLabels(name: string): Buffer[] {
  if (name === '' || name === '.') return [];
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  const labels: Buffer[] = [];
  let current: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '.') {
      labels.push(Buffer.from(current));
      current = [];
    } else if (c === '\\') {
      const digits = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits) && Number(digits) < 256) {
        current.push(Number(digits));
        i += 3;
      } else if (i + 1 < text.length) {
        current.push(...Buffer.from(text[i + 1], 'utf8'));
        i += 1;
      } else {
        throw new DnsWireError(`dangling escape in name: ${name}`);
      }
    } else {
      current.push(...Buffer.from(c, 'utf8'));
    }
  }
  labels.push(Buffer.from(current));
  let wire = 1;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) {
      throw new DnsWireError(`bad label length in name: ${name}`);
    }
    wire += label.length + 1;
  }
  if (wire > MAX_NAME_WIRE) throw new DnsWireError(`name too long: ${name}`);
  return labels;
}

function labelToText(label: Uint8Array): string {
  let out = '';
  for (const byte of label) {
    if (byte === 0x2e || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return out;
}

// ---------- writing ----------

class Writer {
  readonly buf = Buffer.allocUnsafe(MAX_MESSAGE);
  offset = 0;
  // Lower-cased name suffix → offset of its first occurrence, for compression pointers.
  private readonly names = new Map<string, number>();

  private room(n: number): void {
    if (this.offset + n > MAX_MESSAGE) throw new DnsWireError('message longer than 65535 bytes');
  }
  u8(v: number): void {
    this.room(1);
    this.buf.writeUInt8(v, this.offset++);
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.offset);
    this.offset += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.offset);
    this.offset += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
  }
  name(name: string, compress: boolean): void {
    const labels = nameToLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => labelToText(l).toLowerCase())
        .join('.');
      const seen = this.names.get(key);
      if (compress && seen !== undefined) {
        this.u16(0xc000 | seen);
        return;
      }
      // Pointers have 14 bits, so only the first 16 KiB can be pointed at.
      if (this.offset < 0x4000 && !this.names.has(key)) this.names.set(key, this.offset);
      this.u8(labels[i].length);
      this.bytes(labels[i]);
    }
    this.u8(0);
  }
}

function writeRData(w: Writer, data: RData): void {
  switch (data.type) {
    case 'A':
      return w.bytes(ipv4ToBytes(data.address));
    case 'AAAA':
      return w.bytes(ipv6ToBytes(data.address));
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return w.name(data.target, true);
    case 'SRV':
      w.u16(data.priority);
      w.u16(data.weight);
      w.u16(data.port);
      // RFC 2782: the target is never compressed.
      return w.name(data.target, false);
    case 'SOA':
      w.name(data.mname, true);
      w.name(data.rname, true);
      for (const v of [data.serial, data.refresh, data.retry, data.expire, data.minimum]) w.u32(v);
      return;
    case 'RAW':
      return w.bytes(data.bytes);
  }
}

function writeRecord(w: Writer, record: DnsRecord): void {
  w.name(record.name, true);
  w.u16(typeCode(record.data));
  w.u16(record.class);
  w.u32(record.ttl);
  const lengthAt = w.offset;
  w.u16(0);
  writeRData(w, record.data);
  w.buf.writeUInt16BE(w.offset - lengthAt - 2, lengthAt);
}

/** Encodes a message, compressing names; throws DnsWireError for what cannot be encoded. */
export function encode(msg: DnsMessage): Buffer {
  const w = new Writer();
  w.u16(msg.id);
  w.u16(flagsToWord(msg.flags));
  w.u16(msg.questions.length);
  w.u16(msg.answers.length);
  w.u16(msg.authorities.length);
  w.u16(msg.additionals.length);
  for (const q of msg.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const section of [msg.answers, msg.authorities, msg.additionals]) {
    for (const record of section) writeRecord(w, record);
  }
  return Buffer.from(w.buf.subarray(0, w.offset));
}

// ---------- reading ----------

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.offset + n > this.buf.length) throw new DnsWireError(`truncated ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.offset++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  /** Reads a possibly compressed name; every pointer must go further back, so loops cannot. */
  name(): string {
    const labels: string[] = [];
    let pos = this.offset;
    let segmentStart = pos;
    let resume = -1;
    let wire = 1;
    for (let jumps = 0; ;) {
      if (pos >= this.buf.length) throw new DnsWireError('truncated name');
      const len = this.buf[pos];
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsWireError('truncated name pointer');
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1];
        if (target >= segmentStart || ++jumps > MAX_POINTER_JUMPS) {
          throw new DnsWireError('bad name compression pointer');
        }
        if (resume === -1) resume = pos + 2;
        pos = segmentStart = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new DnsWireError('unsupported label type');
      if (len === 0) {
        if (resume === -1) resume = pos + 1;
        break;
      }
      if (pos + 1 + len > this.buf.length) throw new DnsWireError('truncated label');
      wire += len + 1;
      if (wire > MAX_NAME_WIRE) throw new DnsWireError('name too long');
      labels.push(labelToText(this.buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    this.offset = resume;
    return labels.join('.');
  }
}

function readRData(r: Reader, type: number, length: number): RData {
  const end = r.offset + length;
  if (end > r.buf.length) throw new DnsWireError('truncated record data');
  const fixed = (n: number): void => {
    if (length !== n) throw new DnsWireError(`record data of type ${type} must be ${n} bytes`);
  };
  let data: RData;
  switch (type) {
    case TYPE.A:
      fixed(4);
      data = { type: 'A', address: bytesToIpv4(r.bytes(4, 'A')) };
      break;
    case TYPE.AAAA:
      fixed(16);
      data = { type: 'AAAA', address: bytesToIpv6(r.bytes(16, 'AAAA')) };
      break;
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
      data = {
        type: type === TYPE.NS ? 'NS' : type === TYPE.CNAME ? 'CNAME' : 'PTR',
        target: r.name(),
      };
      break;
    case TYPE.SRV: {
      const priority = r.u16('SRV');
      const weight = r.u16('SRV');
      const port = r.u16('SRV');
      data = { type: 'SRV', priority, weight, port, target: r.name() };
      break;
    }
    case TYPE.SOA: {
      const mname = r.name();
      const rname = r.name();
      const [serial, refresh, retry, expire, minimum] = [1, 2, 3, 4, 5].map(() => r.u32('SOA'));
      data = { type: 'SOA', mname, rname, serial, refresh, retry, expire, minimum };
      break;
    }
    default:
      data = { type: 'RAW', code: type, bytes: Buffer.from(r.bytes(length, 'record data')) };
  }
  if (r.offset !== end) throw new DnsWireError(`record data of type ${type} has the wrong length`);
  return data;
}

function readRecord(r: Reader): DnsRecord {
  const name = r.name();
  const type = r.u16('record type');
  const cls = r.u16('record class');
  const ttl = r.u32('record TTL');
  const length = r.u16('record length');
  return { name, class: cls, ttl, data: readRData(r, type, length) };
}

/** Decodes a whole message; throws DnsWireError when it is malformed. Trailing bytes are ignored. */
export function decode(buf: Buffer): DnsMessage {
  if (buf.length < HEADER_SIZE) throw new DnsWireError('message shorter than its header');
  const r = new Reader(buf);
  const id = r.u16('header');
  const flags = wordToFlags(r.u16('header'));
  const counts = [1, 2, 3, 4].map(() => r.u16('header'));
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    questions.push({ name: r.name(), type: r.u16('question'), class: r.u16('question') });
  }
  const sections = counts.slice(1).map((count) => {
    const records: DnsRecord[] = [];
    for (let i = 0; i < count; i++) records.push(readRecord(r));
    return records;
  });
  return {
    id,
    flags,
    questions,
    answers: sections[0],
    authorities: sections[1],
    additionals: sections[2],
  };
}

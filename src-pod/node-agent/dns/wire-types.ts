// DNS message types and constants shared by the wire codec, the zone and the tests.

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (needs EDNS): 4 bits in the header, the rest in the OPT record. */
  BADVERS: 16,
} as const;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;

/** A malformed message: the server answers FORMERR. */
export class DnsWireError extends Error {
  override name = 'DnsWireError';
}

export interface DnsFlags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** The header's 4 bits only; extended codes live in the OPT record's TTL. */
  rcode: number;
}

export interface DnsQuestion {
  /** Without the trailing dot, case as sent; `""` is the root. */
  name: string;
  type: number;
  class: number;
}

export type RData =
  | { type: 'A'; address: string }
  | { type: 'AAAA'; address: string }
  | { type: 'NS' | 'CNAME' | 'PTR'; target: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | {
      type: 'SOA';
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    }
  /** Any other type (OPT included), kept as raw bytes. */
  | { type: 'RAW'; code: number; bytes: Buffer };

export interface DnsRecord {
  name: string;
  /** For OPT this is the requester's UDP payload size. */
  class: number;
  /** For OPT this packs extended RCODE, version and the DO flag. */
  ttl: number;
  data: RData;
}

export interface DnsMessage {
  id: number;
  flags: DnsFlags;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

const TYPE_OF_RDATA: Record<Exclude<RData['type'], 'RAW'>, number> = {
  A: TYPE.A,
  AAAA: TYPE.AAAA,
  NS: TYPE.NS,
  CNAME: TYPE.CNAME,
  PTR: TYPE.PTR,
  SRV: TYPE.SRV,
  SOA: TYPE.SOA,
};

export const HEADER_SIZE = 12;

/** The numeric RR type of a record's data. */
export function typeCode(data: RData): number {
  return data.type === 'RAW' ? data.code : TYPE_OF_RDATA[data.type];
}

export function flagsToWord(f: DnsFlags): number {
  return (
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x0400 : 0) |
    (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) |
    (f.ra ? 0x0080 : 0) |
    (f.ad ? 0x0020 : 0) |
    (f.cd ? 0x0010 : 0) |
    (f.rcode & 0xf)
  );
}

export function wordToFlags(word: number): DnsFlags {
  return {
    qr: (word & 0x8000) !== 0,
    opcode: (word >> 11) & 0xf,
    aa: (word & 0x0400) !== 0,
    tc: (word & 0x0200) !== 0,
    rd: (word & 0x0100) !== 0,
    ra: (word & 0x0080) !== 0,
    ad: (word & 0x0020) !== 0,
    cd: (word & 0x0010) !== 0,
    rcode: word & 0xf,
  };
}

/** Flags for a fresh message; pass what differs. */
export function makeFlags(overrides: Partial<DnsFlags> = {}): DnsFlags {
  return {
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    ...overrides,
  };
}

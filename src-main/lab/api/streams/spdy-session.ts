// One SPDY/3 session over a byte stream (an upgraded socket, or a WebSocket tunnel), with its
// streams as Node Duplexes. It behaves as moby/spdystream does under Kubernetes' httpstream/spdy:
// every stream the peer opens gets an empty SYN_REPLY unless it is refused with RST_STREAM CANCEL,
// the peer's PINGs are echoed, FIN half-closes a stream, and no flow control is done.
import { Duplex } from 'node:stream';
import {
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameReader,
  FrameType,
  HeaderBlockReader,
  HeaderBlockWriter,
  RstStatus,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  goAwayFrame,
  pingFrame,
  rstStreamFrame,
  synReplyFrame,
  synStreamFrame,
  type Frame,
  type HeaderList,
} from './spdy-frames';

type ControlFrame = Extract<Frame, { control: true }>;

export interface SpdySessionOptions {
  /** A server answers streams the peer opens (odd ids); a client opens them. */
  role: 'server' | 'client';
  /** Decides on a stream the peer opens before it is answered: throw to refuse it. */
  acceptStream?: (stream: SpdyStream) => void;
  /** Receives each accepted stream, after its SYN_REPLY has gone out. */
  onStream?: (stream: SpdyStream) => void;
  /** Bytes a stream buffers for its reader before the session stops reading the connection. */
  streamHighWaterMark?: number;
}

/** DATA frames are cut to this size so one busy stream does not hold up the others for long. */
const MAX_DATA_CHUNK = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export class SpdyStream extends Duplex {
  /** Lowercased names, as SPDY carries them. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  remoteEnded = false;
  localEnded = false;
  /** Reset, or its session is gone: what is still written is dropped. */
  gone = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    headers: Map<string, string[]>,
    highWaterMark: number,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: highWaterMark });
    this.headers = headers;
    // A stream's failure ends that stream; it must never take the API server down with it.
    this.on('error', () => {});
  }

  /** The first value of a header, by case-insensitive name (`streamType`, `port`, `requestID`). */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Ends both directions at once (RST_STREAM CANCEL), as httpstream's Stream.Reset does. */
  reset(): void {
    this.session.resetStream(this, RstStatus.Cancel);
  }

  override _read(): void {
    this.session.readingResumed(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error) => void): void {
    this.session.sendData(this, chunk, false, callback);
  }

  override _final(callback: (error?: Error) => void): void {
    this.session.sendData(this, EMPTY, true, callback);
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.session.streamDestroyed(this);
    callback(error);
  }
}

export class SpdySession {
  readonly streams = new Map<number, SpdyStream>();
  /** Settles when the connection under the session has closed. */
  readonly closed: Promise<void>;
  private readonly reader = new FrameReader();
  private readonly headersIn = new HeaderBlockReader();
  private readonly headersOut = new HeaderBlockWriter();
  private readonly pendingReplies = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  /** Streams whose readers have not caught up; while any is here the connection is not read. */
  private readonly backlogged = new Set<SpdyStream>();
  private readonly highWaterMark: number;
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private decoding = false;
  private goneAway = false;
  private isClosed = false;
  private markClosed!: () => void;

  constructor(
    readonly transport: Duplex,
    private readonly options: SpdySessionOptions,
  ) {
    this.highWaterMark = options.streamHighWaterMark ?? 1024 * 1024;
    this.nextStreamId = options.role === 'client' ? 1 : 2;
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    transport.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      this.pump();
    });
    transport.on('end', () => {
      // Go's side never half-closes; an ended connection is a closed one.
      transport.end();
      this.teardown();
    });
    transport.on('close', () => this.teardown());
    transport.on('error', () => this.teardown());
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Opens a stream (client role) and resolves once the peer has answered it with SYN_REPLY. */
  openStream(headers: HeaderList, options: { fin?: boolean } = {}): Promise<SpdyStream> {
    if (this.isClosed) return Promise.reject(new Error('SPDY connection is closed'));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const block = encodeHeaderBlock(headers);
    const stream = new SpdyStream(this, id, decodeHeaderBlock(block), this.highWaterMark);
    this.streams.set(id, stream);
    const replied = new Promise<SpdyStream>((resolve, reject) => {
      this.pendingReplies.set(id, { resolve: () => resolve(stream), reject });
    });
    if (options.fin) stream.localEnded = true;
    this.write(synStreamFrame(id, options.fin ? FLAG_FIN : 0, this.headersOut.compress(block)));
    return replied;
  }

  /** Tells the peer no more streams will be accepted (GOAWAY). */
  goAway(): void {
    if (this.isClosed || this.goneAway) return;
    this.goneAway = true;
    this.write(goAwayFrame(this.lastPeerStreamId));
  }

  /** Closes the connection once what is queued has been sent. */
  end(): void {
    this.transport.end();
  }

  destroy(): void {
    this.transport.destroy();
    this.teardown();
  }

  sendData(stream: SpdyStream, chunk: Buffer, fin: boolean, callback: (error?: Error) => void): void {
    if (stream.gone || stream.localEnded || this.isClosed || (chunk.length === 0 && !fin)) {
      callback();
      return;
    }
    if (fin) stream.localEnded = true;
    let at = 0;
    do {
      const piece = chunk.subarray(at, at + MAX_DATA_CHUNK);
      at += piece.length;
      const last = at >= chunk.length;
      const frame = dataFrame(stream.id, last && fin ? FLAG_FIN : 0, piece);
      if (last) this.write(frame, callback);
      else this.write(frame);
    } while (at < chunk.length);
    this.forgetIfDone(stream);
  }

  resetStream(stream: SpdyStream, status: number): void {
    if (!stream.gone && !this.isClosed && this.streams.has(stream.id)) {
      this.write(rstStreamFrame(stream.id, status));
    }
    this.dropStream(stream);
    stream.destroy();
  }

  readingResumed(stream: SpdyStream): void {
    if (this.backlogged.delete(stream) && this.backlogged.size === 0) {
      this.transport.resume();
      this.pump();
    }
  }

  streamDestroyed(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream && !(stream.localEnded && stream.remoteEnded)) {
      this.resetStream(stream, RstStatus.Cancel);
    }
    this.dropStream(stream);
  }

  private write(frame: Buffer, callback?: () => void): void {
    if (this.isClosed || this.transport.destroyed) {
      callback?.();
      return;
    }
    // A failed write is the connection failing, which teardown handles; the writer is not told.
    this.transport.write(frame, () => callback?.());
  }

  private pump(): void {
    while (!this.decoding && !this.isClosed && this.backlogged.size === 0) {
      const frame = this.reader.next();
      if (!frame) return;
      if (frame.control && hasHeaderBlock(frame.type)) {
        this.decoding = true;
        this.handleHeaderFrame(frame).then(
          () => {
            this.decoding = false;
            this.pump();
          },
          () => this.protocolError(),
        );
        return;
      }
      this.handleFrame(frame);
    }
  }

  private handleFrame(frame: Frame): void {
    if (!frame.control) {
      const stream = this.streams.get(frame.streamId);
      if (!stream || stream.remoteEnded || stream.gone) return;
      if (frame.payload.length > 0 && !stream.push(frame.payload)) {
        this.backlogged.add(stream);
        this.transport.pause();
      }
      if (frame.flags & FLAG_FIN) this.remoteEnd(stream);
      return;
    }
    const payload = frame.payload;
    switch (frame.type) {
      case FrameType.RstStream: {
        if (payload.length < 8) return this.protocolError();
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        this.pendingReplies.get(id)?.reject(new Error(`stream ${id} was reset`));
        this.pendingReplies.delete(id);
        const stream = this.streams.get(id);
        if (stream) this.dropStream(stream);
        return;
      }
      case FrameType.Ping: {
        if (payload.length < 4) return this.protocolError();
        const id = payload.readUInt32BE(0);
        // Servers ping with even ids, clients with odd ones; the peer's pings are echoed.
        const ours = this.options.role === 'server' ? 0 : 1;
        if ((id & 1) !== ours) this.write(pingFrame(id));
        return;
      }
      case FrameType.GoAway:
        this.goneAway = true;
        return;
      default:
        // SETTINGS and WINDOW_UPDATE are ignored, as spdystream ignores them; unknown control
        // frames are ignored as SPDY/3 requires.
        return;
    }
  }

  private async handleHeaderFrame(frame: ControlFrame): Promise<void> {
    const payload = frame.payload;
    const fixed = frame.type === FrameType.SynStream ? 10 : 4;
    if (payload.length < fixed) throw new Error('SPDY control frame is too short');
    const id = payload.readUInt32BE(0) & 0x7fffffff;
    // Every header block is inflated, even one we ignore: they share one zlib stream.
    const headers = decodeHeaderBlock(await this.headersIn.decompress(payload.subarray(fixed)));
    if (this.isClosed) return;
    if (frame.type === FrameType.SynStream) return this.peerOpened(id, frame.flags, headers);
    if (frame.type === FrameType.SynReply) {
      this.pendingReplies.get(id)?.resolve();
      this.pendingReplies.delete(id);
    }
    const stream = this.streams.get(id);
    if (stream && frame.flags & FLAG_FIN) this.remoteEnd(stream);
  }

  private peerOpened(id: number, flags: number, headers: Map<string, string[]>): void {
    const peerParity = this.options.role === 'server' ? 1 : 0;
    if (this.goneAway) return;
    if (id === 0 || (id & 1) !== peerParity || id <= this.lastPeerStreamId) {
      this.write(rstStreamFrame(id, RstStatus.ProtocolError));
      return;
    }
    this.lastPeerStreamId = id;
    const stream = new SpdyStream(this, id, headers, this.highWaterMark);
    this.streams.set(id, stream);
    try {
      this.options.acceptStream?.(stream);
    } catch {
      this.resetStream(stream, RstStatus.Cancel);
      return;
    }
    this.write(synReplyFrame(id, 0, this.headersOut.compress(encodeHeaderBlock([]))));
    if (flags & FLAG_UNIDIRECTIONAL) stream.localEnded = true;
    if (flags & FLAG_FIN) this.remoteEnd(stream);
    this.options.onStream?.(stream);
  }

  private remoteEnd(stream: SpdyStream): void {
    if (stream.remoteEnded) return;
    stream.remoteEnded = true;
    stream.push(null);
    this.forgetIfDone(stream);
  }

  private forgetIfDone(stream: SpdyStream): void {
    if (stream.localEnded && stream.remoteEnded) this.streams.delete(stream.id);
  }

  private dropStream(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    stream.gone = true;
    if (!stream.remoteEnded) {
      stream.remoteEnded = true;
      stream.push(null);
    }
    this.readingResumed(stream);
  }

  private protocolError(): void {
    if (this.isClosed) return;
    this.write(goAwayFrame(this.lastPeerStreamId, 1));
    this.transport.end();
    this.teardown();
  }

  private teardown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const pending of this.pendingReplies.values()) pending.reject(new Error('SPDY connection closed'));
    this.pendingReplies.clear();
    for (const stream of [...this.streams.values()]) this.dropStream(stream);
    this.headersIn.close();
    this.markClosed();
  }
}

function hasHeaderBlock(type: number): boolean {
  return type === FrameType.SynStream || type === FrameType.SynReply || type === FrameType.Headers;
}

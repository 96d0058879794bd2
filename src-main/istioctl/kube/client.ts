// istioctl's Kubernetes client: GETs from the API server and a pod's port reached through pods/portforward (SPDY/3.1, portforward.k8s.io).
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpdySession } from '../../lab/api/streams/spdy-session';
import type { KubeTarget } from './kubeconfig';

/** The kubelet's SPDY port-forward protocol, as client-go's portforward package asks for it. */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** An API request the server refused: its HTTP status and the Status message it gave. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

function statusMessage(code: number, body: string): KubeApiError {
  try {
    const status = JSON.parse(body) as { message?: string; reason?: string };
    if (status.message) return new KubeApiError(code, status.message, status.reason);
  } catch {
    // not a Status: the body as it came
  }
  return new KubeApiError(code, body.trim() || `the server answered ${code}`);
}

export class KubeClient {
  constructor(readonly target: KubeTarget) {}

  private options(method: string, path: string, headers: Record<string, string>): { url: URL; options: RequestOptions } {
    const url = new URL(this.target.server + path);
    const h: Record<string, string> = { 'User-Agent': 'istioctl (sidecar-lab)', ...headers };
    if (this.target.token) h['Authorization'] = `Bearer ${this.target.token}`;
    else if (this.target.username) {
      h['Authorization'] = `Basic ${Buffer.from(`${this.target.username}:${this.target.password ?? ''}`).toString('base64')}`;
    }
    const options: RequestOptions & { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } = { method, headers: h, agent: false };
    if (url.protocol === 'https:') {
      if (this.target.ca) options.ca = this.target.ca;
      if (this.target.cert) options.cert = this.target.cert;
      if (this.target.key) options.key = this.target.key;
      options.rejectUnauthorized = !this.target.insecure;
    }
    return { url, options };
  }

  private start(method: string, path: string, headers: Record<string, string>): ClientRequest {
    const { url, options } = this.options(method, path, headers);
    return url.protocol === 'https:' ? httpsRequest(url, options) : httpRequest(url, options);
  }

  /** GET of an API path, parsed; a refusal throws KubeApiError with the server's message. */
  async get<T = Record<string, unknown>>(path: string): Promise<T> {
    const req = this.start('GET', path, { Accept: 'application/json' });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', (err) => reject(new Error(`Get "${this.target.server}${path}": ${err.message}`)));
      req.end();
    });
    const body = await readAll(res);
    if (res.statusCode !== 200) throw statusMessage(res.statusCode ?? 0, body);
    return JSON.parse(body) as T;
  }

  /** POST of a JSON object, the server's answer parsed (200 or 201); a refusal throws KubeApiError. */
  async create<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
    const text = JSON.stringify(body);
    const req = this.start('POST', path, { Accept: 'application/json', 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', (err) => reject(new Error(`Post "${this.target.server}${path}": ${err.message}`)));
      req.end(text);
    });
    const answer = await readAll(res);
    if (res.statusCode !== 200 && res.statusCode !== 201) throw statusMessage(res.statusCode ?? 0, answer);
    return JSON.parse(answer) as T;
  }

  /** GET that answers undefined for a 404 (an object that is not there, or a kind the server does not serve). */
  async getOptional<T = Record<string, unknown>>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Opens the SPDY port-forward connection to a pod; each `dial` is one forwarded TCP connection to `port`. */
  async portForward(namespace: string, pod: string): Promise<PortForwardConnection> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward`;
    return new PortForwardConnection(await this.spdyUpgrade(path, PORT_FORWARD_PROTOCOL));
  }

  /** A SPDY/3.1 connection upgraded on `path` (pods/portforward, pods/exec) with the stream protocol asked for. */
  async spdyUpgrade(path: string, streamProtocol: string): Promise<SpdySession> {
    const req = this.start('POST', path, { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': streamProtocol });
    const socket = await new Promise<Socket>((resolve, reject) => {
      req.on('upgrade', (res: IncomingMessage, sock: Socket, head: Buffer) => {
        const protocol = String(res.headers['x-stream-protocol-version'] ?? '');
        if (protocol !== streamProtocol) {
          sock.destroy();
          reject(new Error(`unable to upgrade connection: the server chose protocol "${protocol}", not ${streamProtocol}`));
          return;
        }
        if (head.length > 0) sock.unshift(head);
        resolve(sock);
      });
      req.on('response', (res: IncomingMessage) => {
        // client-go's SPDY dialer gives the Status message, and portforward prefixes it.
        void readAll(res).then((body) => {
          const refusal = statusMessage(res.statusCode ?? 0, body);
          reject(new KubeApiError(refusal.code, `error upgrading connection: ${refusal.message}`, refusal.reason));
        });
      });
      req.on('error', (err) => reject(new Error(`error upgrading connection: ${err.message}`)));
      req.end();
    });
    return new SpdySession(socket, { role: 'client' });
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** One SPDY port-forward session: a stream pair (error, data) per connection, as client-go's portforward makes them. */
export class PortForwardConnection {
  private nextRequestId = 0;

  constructor(private readonly session: SpdySession) {}

  /**
   * A TCP connection to the pod's `port`: the data stream as a Duplex, and `failure`, which settles
   * with what the kubelet wrote on the error stream ('' when nothing went wrong).
   */
  async dial(port: number): Promise<{ data: Duplex; failure: Promise<string> }> {
    const id = String(this.nextRequestId++);
    const headers = (type: string): [string, string][] => [
      ['streamType', type],
      ['port', String(port)],
      ['requestID', id],
    ];
    // client-go opens the error stream first and half-closes it: the client never writes on it.
    const error = await this.session.openStream(headers('error'), { fin: true });
    const failure = new Promise<string>((resolve) => {
      let text = '';
      error.on('data', (c: Buffer) => (text += c.toString('utf8')));
      error.on('end', () => resolve(text));
      error.on('close', () => resolve(text));
    });
    const data = await this.session.openStream(headers('data'));
    return { data, failure };
  }

  close(): void {
    this.session.destroy();
  }
}

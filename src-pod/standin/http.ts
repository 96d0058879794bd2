// HTTP and gRPC stand-ins: every path answers (httpbin's own paths as httpbin), gRPC health checking over h2c.
// gRPC framing: gRPC's "PROTOCOL-HTTP2" document; health service: grpc/health/v1/health.proto.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { Server } from 'node:net';
import { createHttpbinHandler } from '../demo/httpbin';
import type { ServeContext } from './context';

const HTTPBIN_PATHS = /^\/(get|headers|ip|anything)(\/.*)?$|^\/(status|delay|bytes)\/[^/]+$/;

export function httpServer(ctx: ServeContext): Server {
  const httpbin = createHttpbinHandler({ name: ctx.spec.name, log: ctx.log });
  return createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (HTTPBIN_PATHS.test(path)) return httpbin(req, res);
    // Probes and the app's own paths (/healthz, /-/ready, /api/…) all answer, as a healthy server's would.
    const text = `${JSON.stringify({ standin: ctx.spec.name, method: req.method, path: req.url, headers: req.headers }, null, 2)}\n`;
    res.setHeader('x-served-by', ctx.spec.name);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    ctx.log(`${req.method ?? '-'} ${req.url ?? '-'} 200 ${req.socket.remoteAddress ?? ''}`);
    req.resume();
  });
}

export const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
export const HEALTH_WATCH = '/grpc.health.v1.Health/Watch';

/** One gRPC message: compressed flag, 4-byte big-endian length, the protobuf bytes. */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** HealthCheckResponse{status: SERVING}: field 1 (varint), value 1. */
export const SERVING = Buffer.from([0x08, 0x01]);

/** The `service` of a HealthCheckRequest (field 1, length-delimited), '' when absent. */
export function healthService(body: Buffer): string {
  const msg = body.subarray(5);
  if (msg.length >= 2 && msg[0] === 0x0a) return msg.toString('utf8', 2, 2 + msg[1]);
  return '';
}

export function grpcServer(ctx: ServeContext): Http2Server {
  const server = createHttp2Server();
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => undefined);
    const path = String(headers[':path'] ?? '');
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const isHealth = path === HEALTH_CHECK || path === HEALTH_WATCH;
    if (!isHealth || !String(headers['content-type'] ?? '').startsWith('application/grpc')) {
      // Trailers-only response, as gRPC servers answer a method they do not have.
      const service = path.split('/')[1] ?? '';
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': `unknown service ${service}` },
        { endStream: true },
      );
      ctx.log(`grpc ${path}: UNIMPLEMENTED`);
      return;
    }
    const answer = (): void => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: path === HEALTH_CHECK });
      stream.write(grpcFrame(SERVING));
      ctx.log(`grpc ${path} service ${JSON.stringify(healthService(Buffer.concat(chunks)))}: SERVING`);
      if (path === HEALTH_CHECK) {
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end();
      }
    };
    stream.once('end', answer);
  });
  return server;
}

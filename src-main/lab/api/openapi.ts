// /openapi/v2: the document kubectl loads before `apply` and `create` validate, in JSON or in gnostic's protobuf encoding.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-util';
import { ApiError } from './status';

/**
 * The lab serves an OpenAPI document without schemas: kubectl then finds no model for a kind and
 * skips its client-side check (kubectl's own behaviour for kinds a server does not describe), and
 * the lab's server-side validation answers with 422 and the field at fault instead. Schemas
 * would need Kubernetes' full definitions, which cannot be had here offline.
 */
function document(): { swagger: string; info: { title: string; version: string }; paths: Record<string, never>; definitions: Record<string, never> } {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'sidecar-lab' }, paths: {}, definitions: {} };
}

/** Protobuf wire format, just what an openapi.v2.Document needs: length-delimited fields. */
function field(number: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((number << 3) | 2), varint(payload.length), payload]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

const text = (number: number, value: string): Buffer => field(number, Buffer.from(value, 'utf8'));

/** openapi.v2.Document: swagger = 1, info = 2 (Info: title = 1, version = 2), paths = 8, definitions = 9. */
export function documentProtobuf(): Buffer {
  const doc = document();
  const info = Buffer.concat([text(1, doc.info.title), text(2, doc.info.version)]);
  return Buffer.concat([text(1, doc.swagger), field(2, info), field(8, Buffer.alloc(0)), field(9, Buffer.alloc(0))]);
}

export function openapiV2(req: IncomingMessage, res: ServerResponse, path: string): void {
  if (path !== '/openapi/v2' && path !== '/swagger.json') {
    // No OpenAPI v3: kubectl 1.27+ falls back to v2, as with servers older than 1.24.
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
  const accept = req.headers.accept ?? '';
  if (accept.includes('application/com.github.proto-openapi.spec.v2')) {
    const body = documentProtobuf();
    // kube-openapi answers with the dotted subtype: the `@v1.0` one clients ask for is no valid MIME
    // token, and kubectl (Go's mime.ParseMediaType) fails on a response that carries it.
    res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': body.length });
    res.end(body);
    return;
  }
  sendJson(res, 200, document());
}

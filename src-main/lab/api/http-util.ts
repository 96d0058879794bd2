// HTTP plumbing for the API: JSON and Status replies, request bodies (JSON or YAML), limits.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './status';

/** kube-apiserver refuses bodies over 3 MiB (etcd's request limit). */
const MAX_BODY = 3 * 1024 * 1024;

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const apiError = err instanceof ApiError ? err : new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
  if (res.headersSent) {
    // A stream already started (logs, watch): the error can only end it.
    res.destroy();
    return;
  }
  sendJson(res, apiError.code, apiError.toStatus());
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A request body as JSON; YAML too, as kube-apiserver accepts `application/yaml`. */
export async function readObject(req: IncomingMessage): Promise<unknown> {
  const body = (await readBody(req)).toString('utf8');
  if (body.trim() === '') throw badRequest('the request body is empty: an object is required');
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  try {
    return type === 'application/yaml' || type === 'application/apply-patch+yaml' ? parseYaml(body) : JSON.parse(body);
  } catch (err) {
    throw badRequest(`the request body could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// Watch: a chunked stream of {"type":…,"object":…} lines from a resourceVersion on, plain or as Tables, as `kubectl get -w` reads it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, type KindDescriptor } from './kinds';
import { objectKey, type KubeObject } from './objects';
import { badRequest } from './status';
import type { ObjectStore, StoreEvent, WatchEventType } from './store';
import { toTable, wantsTable, type IncludeObject } from './tables';

/** kube-apiserver ends a watch after a random 30–60 min unless the client asks for less. */
const DEFAULT_TIMEOUT_S = 1800;

export function serveWatch(
  store: ObjectStore,
  kind: KindDescriptor,
  version: string,
  namespace: string | undefined,
  name: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  matches: (obj: KubeObject) => boolean,
): void {
  const rvText = query.get('resourceVersion') ?? '';
  if (rvText !== '' && !/^\d+$/.test(rvText)) throw badRequest(`invalid resource version: ${rvText}`);
  const fromVersion = rvText === '' || rvText === '0' ? undefined : Number(rvText);
  const asTable = wantsTable(req.headers.accept);
  const include = (query.get('includeObject') as IncludeObject | null) ?? 'Metadata';
  let headersSent = false;
  const inScope = (obj: KubeObject) =>
    (namespace === undefined || obj.metadata.namespace === namespace) && (name === undefined || obj.metadata.name === name) && matches(obj);
  // Objects that matched the selector: one that stops matching is DELETED for this watch, as the watch cache does.
  const matching = new Set<string>();

  const write = (type: WatchEventType, obj: KubeObject) => {
    const servedObj = { ...obj, apiVersion: apiVersionOf(kind, version), kind: kind.kind };
    const object = asTable
      ? toTable(kind.printer, [servedObj], { resourceVersion: obj.metadata.resourceVersion ?? '', include, headers: !headersSent })
      : servedObj;
    headersSent = true;
    res.write(`${JSON.stringify({ type, object })}\n`);
  };

  const onEvent = (event: StoreEvent) => {
    const key = objectKey(event.object.metadata.namespace, event.object.metadata.name);
    const was = matching.has(key);
    const now = event.type !== 'DELETED' && inScope(event.object);
    if (now) matching.add(key);
    else matching.delete(key);
    if (event.type === 'DELETED') {
      if (was || inScope(event.object)) write('DELETED', event.object);
    } else if (now) write(was ? 'MODIFIED' : 'ADDED', event.object);
    else if (was) write('DELETED', event.object);
  };

  // Subscribe (and fail with 410 Gone) before the response starts.
  let initial: KubeObject[] = [];
  if (fromVersion === undefined) initial = store.list(kind, namespace).filter(inScope);
  else for (const obj of store.list(kind, namespace)) if (inScope(obj) && Number(obj.metadata.resourceVersion) <= fromVersion) matching.add(objectKey(obj.metadata.namespace, obj.metadata.name));
  const stop = store.watch(kind, fromVersion ?? store.resourceVersion, onEvent);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  for (const obj of initial) {
    matching.add(objectKey(obj.metadata.namespace, obj.metadata.name));
    write('ADDED', obj);
  }
  const timeoutText = query.get('timeoutSeconds');
  const timeoutS = timeoutText && /^\d+$/.test(timeoutText) ? Number(timeoutText) : DEFAULT_TIMEOUT_S;
  const finish = () => {
    clearTimeout(timer);
    stop();
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(finish, timeoutS * 1000);
  req.on('close', finish);
  res.on('close', finish);
}

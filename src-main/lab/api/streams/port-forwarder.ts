// Copies one forwarded connection between the client's data stream and the pod's port, ending it
// as containerd's CRI PortForward does, and words its failure as the kubelet reports it.
import { Duplex, type Readable, type Writable } from 'node:stream';

export interface ForwardOptions {
  /** Opens a connection to `port` of the pod; rejects when it cannot (connection refused, …). */
  connect(port: number): Promise<Duplex>;
  /**
   * How the runtime names the pod in errors. CRI runtimes are handed the sandbox ID, so a real
   * cluster says "error forwarding port 80 to pod <sandbox id>, uid : …". Default ''.
   */
  pod?: string;
  /** Empty under CRI, as above. */
  podUid?: string;
  /** After one direction ends, how long the other may go on before both are closed (containerd: 1 s). */
  closeGraceMs?: number;
}

/** Resolves once `stream` has no more to give: its end, an error, or its closing. */
function finished(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/**
 * Forwards until either side is done, then closes the pod's side. Resolves with the message the
 * kubelet writes on the error stream when the pod's port could not be reached, else undefined.
 */
export async function forwardPort(port: number, data: Duplex, options: ForwardOptions): Promise<string | undefined> {
  let target: Duplex;
  try {
    target = await options.connect(port);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    data.resume();
    return `error forwarding port ${port} to pod ${options.pod ?? ''}, uid ${options.podUid ?? ''}: ${reason}`;
  }
  target.on('error', () => {});
  const toPod = finished(data);
  const toClient = finished(target);
  data.on('data', (chunk: Buffer) => {
    if (!target.write(chunk)) {
      data.pause();
      target.once('drain', () => data.resume());
    }
  });
  target.on('data', (chunk: Buffer) => {
    if (!data.write(chunk)) {
      target.pause();
      data.once('drain', () => target.resume());
    }
  });
  // The client finishing its writes is passed on as a half-close, so a server that answers a
  // request once it has all of it (an echo, an HTTP/1.0 exchange) still can within the grace.
  void toPod.then(() => {
    if (!target.destroyed) target.end();
  });
  // And the pod's side finishing is passed to the client at once, rather than after the grace.
  void toClient.then(() => data.end());
  await Promise.race([toPod, toClient]);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([toPod, toClient]),
    new Promise((resolve) => (timer = setTimeout(resolve, options.closeGraceMs ?? 1000))),
  ]);
  clearTimeout(timer);
  target.destroy();
  return undefined;
}

/** One Duplex reading from `readable` and writing to `writable` (a WebSocket channel's two halves). */
export function joinDuplex(readable: Readable, writable: Writable): Duplex {
  const duplex = new Duplex({
    read() {
      readable.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      writable.write(chunk, () => callback());
    },
    final(callback) {
      callback();
    },
  });
  readable.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) readable.pause();
  });
  readable.on('end', () => duplex.push(null));
  duplex.on('error', () => {});
  return duplex;
}

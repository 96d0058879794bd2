// Loads the original-destination addon at run time so esbuild never tries to bundle a `.node` file.
import type { Server, Socket } from 'node:net';

/** A socket address as the kernel reports it. */
export interface SocketAddress {
  address: string;
  port: number;
  family: 4 | 6;
}

interface OriginalDstAddon {
  originalDst(fd: number): SocketAddress | undefined;
  setTransparent(fd: number): void;
}

export const DEFAULT_ADDON_PATH = '/usr/local/lib/sidecar-lab/original_dst.node';

/** Thrown when the addon cannot be loaded or a socket has no file descriptor. */
export class OriginalDstError extends Error {
  override name = 'OriginalDstError';
}

let loaded: OriginalDstAddon | undefined;

/** The addon's path: `SIDECAR_ORIGINAL_DST_ADDON` or the image's default. */
export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.SIDECAR_ORIGINAL_DST_ADDON;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_ADDON_PATH;
}

/** Loads (once) and returns the addon; a clear error names the path and how to build it. */
export function loadAddon(path = addonPath()): OriginalDstAddon {
  if (loaded) return loaded;
  const mod = { exports: {} as Partial<OriginalDstAddon> };
  try {
    // process.dlopen, not require: the bundle must not try to resolve or inline the addon.
    process.dlopen(mod, path);
  } catch (err) {
    throw new OriginalDstError(
      `cannot load the original-destination addon from ${path} ` +
        `(set SIDECAR_ORIGINAL_DST_ADDON; build it as src-pod/sidecar/original-dst/BUILD.md says): ` +
        (err instanceof Error ? err.message : String(err)),
      { cause: err },
    );
  }
  const exp = mod.exports;
  if (typeof exp.originalDst !== 'function' || typeof exp.setTransparent !== 'function') {
    throw new OriginalDstError(`${path} is not the sidecar's original-destination addon`);
  }
  loaded = exp as OriginalDstAddon;
  return loaded;
}

interface WithHandle {
  _handle?: { fd?: number } | null;
}

function fdOf(target: Socket | Server): number {
  const fd = (target as unknown as WithHandle)._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new OriginalDstError('the socket has no file descriptor (closed, or not a TCP socket)');
  }
  return fd;
}

/** Strips the IPv4-mapped prefix so an IPv4 flow reads as IPv4 on a dual-stack socket. */
function plain(addr: SocketAddress): SocketAddress {
  if (addr.family === 6 && addr.address.startsWith('::ffff:') && addr.address.includes('.')) {
    return { address: addr.address.slice(7), port: addr.port, family: 4 };
  }
  return addr;
}

/**
 * The destination a REDIRECTed connection was headed to before NAT (SO_ORIGINAL_DST /
 * IP6T_SO_ORIGINAL_DST); undefined when the kernel has no NAT record for it.
 */
export function originalDst(socket: Socket): SocketAddress | undefined {
  const dst = loadAddon().originalDst(fdOf(socket));
  return dst === undefined ? undefined : plain(dst);
}

/** TPROXY: the listener needs IP_TRANSPARENT to accept connections for addresses not its own. */
export function setTransparent(server: Server): void {
  loadAddon().setTransparent(fdOf(server));
}

/** TPROXY: the original destination is the accepted socket's own local address. */
export function localDst(socket: Socket): SocketAddress | undefined {
  const address = socket.localAddress;
  const port = socket.localPort;
  if (address === undefined || port === undefined) return undefined;
  return plain({ address, port, family: address.includes(':') ? 6 : 4 });
}

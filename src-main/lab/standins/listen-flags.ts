// What a container's command, args and environment say about where it listens: address and port flags.

export interface ListenHint {
  /** The address every listener binds, when a flag names one without a port; undefined: all. */
  host?: string;
  /** True when a flag set the address (to all addresses or to one). */
  hostSet: boolean;
  /** The main port, from a port flag. */
  port?: number;
  /** `ADDR:PORT` pairs flags name. */
  endpoints: { host?: string; port: number }[];
  /** The flags read, for `up`'s note (`--bind 127.0.0.1`). */
  said: string[];
}

/** Flags whose value is an address, `ADDR:PORT` or `:PORT` (servers, web frameworks, exporters). */
const ADDRESS_FLAGS = new Set([
  '--bind',
  '--bind-address',
  '--bind_ip',
  '--bind-ip',
  '--host',
  '--hostname-bind',
  '--listen',
  '--listen-address',
  '--listen-addr',
  '--addr',
  '--address',
  '--http-address',
  '--http.addr',
  '--web.listen-address',
  '-dev-listen-address',
  '--server.address',
  '--ip',
  '-l',
  '-b',
]);

const PORT_FLAGS = new Set(['--port', '-p', '-P', '--http-port', '--listen-port', '--server.port']);

/** Environment variables that set the address or the port for many images and frameworks. */
const ADDRESS_ENV = ['BIND_ADDRESS', 'LISTEN_ADDRESS', 'HOST', 'VAULT_DEV_LISTEN_ADDRESS'];
const PORT_ENV = ['PORT', 'SERVER_PORT', 'HTTP_PORT'];

const ALL_ADDRESSES = new Set(['', '*', '0.0.0.0', '::', '[::]']);

type Value = { host?: string; hostSet: boolean; port?: number } | undefined;

function asPort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** An address as a listener binds it: `localhost` is 127.0.0.1; names other than it say nothing. */
function asHost(text: string): { host?: string } | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (ALL_ADDRESSES.has(bare)) return {};
  if (bare === 'localhost') return { host: '127.0.0.1' };
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bare) || bare.includes(':')) return { host: bare };
  return undefined;
}

/** `127.0.0.1`, `:8080`, `0.0.0.0:8080`, `[::1]:8080`, `localhost`, `8080`; a list takes its first. */
export function readAddressValue(raw: string): Value {
  const text = raw.split(/[,\s]/)[0].replace(/^-/, '');
  const port = asPort(text);
  if (port !== undefined) return { hostSet: false, port };
  // ADDR:PORT first: a bare IPv6 address has more than one colon and no brackets.
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text);
  if (!m) {
    const host = asHost(text);
    return host ? { ...host, hostSet: true } : undefined;
  }
  const h = asHost(m[1]);
  const p = asPort(m[2]);
  if (!h || p === undefined) return undefined;
  return { ...h, hostSet: true, port: p };
}

/** Splits the command and args as a shell would split `sh -c "redis-server --bind 127.0.0.1"`. */
export function commandTokens(command: readonly string[] | undefined, args: readonly string[] | undefined): string[] {
  return [...(command ?? []), ...(args ?? [])].flatMap((t) => t.split(/\s+/)).filter((t) => t !== '');
}

function flagValues(tokens: string[]): { flag: string; value: string }[] {
  const out: { flag: string; value: string }[] = [];
  tokens.forEach((t, i) => {
    const eq = t.indexOf('=');
    if (t.startsWith('-') && eq > 0) out.push({ flag: t.slice(0, eq), value: t.slice(eq + 1) });
    else if (t.startsWith('-') && i + 1 < tokens.length) out.push({ flag: t, value: tokens[i + 1] });
    // Postgres: `-c listen_addresses=localhost -c port=5433`.
    if (tokens[i - 1] === '-c' && eq > 0) out.push({ flag: `-c ${t.slice(0, eq)}`, value: t.slice(eq + 1) });
  });
  return out;
}

/** Reads address and port flags (the last of each wins, as most programs take them). */
export function readListenHint(tokens: string[], env: Record<string, string>): ListenHint {
  const hint: ListenHint = { hostSet: false, endpoints: [], said: [] };
  const take = (what: string, v: Value, isPort: boolean): void => {
    if (!v) return;
    hint.said.push(what);
    if (v.hostSet && v.port !== undefined) {
      hint.endpoints.push({ host: v.host, port: v.port });
      hint.port = v.port;
      return;
    }
    if (v.hostSet) {
      hint.host = v.host;
      hint.hostSet = true;
    }
    if (v.port !== undefined && (isPort || !v.hostSet)) hint.port = v.port;
  };
  for (const name of ADDRESS_ENV) if (env[name] !== undefined) take(`${name}=${env[name]}`, readAddressValue(env[name]), false);
  for (const name of PORT_ENV) {
    const p = env[name] !== undefined ? asPort(env[name]) : undefined;
    if (p !== undefined) take(`${name}=${p}`, { hostSet: false, port: p }, true);
  }
  for (const { flag, value } of flagValues(tokens)) {
    if (flag === '--bind_ip_all') continue;
    if (ADDRESS_FLAGS.has(flag) || flag === '-c listen_addresses') take(`${flag} ${value}`, readAddressValue(value), false);
    else if (PORT_FLAGS.has(flag) || flag === '-c port') {
      const p = asPort(value);
      if (p !== undefined) take(`${flag} ${value}`, { hostSet: false, port: p }, true);
    }
  }
  if (tokens.includes('--bind_ip_all')) {
    hint.hostSet = true;
    delete hint.host;
    hint.said.push('--bind_ip_all');
  }
  return hint;
}

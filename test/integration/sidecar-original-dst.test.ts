// The original-destination addon for real: built for this Node, exercised in a throwaway network
// namespace where iptables REDIRECTs to a listener, exactly as istio-iptables does in a pod.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ADDON_DIR = join(REPO, 'src-pod/sidecar/original-dst');
const ADDON_TS = join(ADDON_DIR, 'addon.ts');
let work = '';
let addon = '';

function which(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function need(tool: string): string {
  const path = which(tool);
  if (path === undefined) throw new Error(`${tool} is required for this test and is not installed (apt-get install ${tool === 'ip' ? 'iproute2' : tool === 'unshare' ? 'util-linux' : tool})`);
  return path;
}

// Inside the namespace: a listener on 15001 (v4 and v6) and connections to addresses that
// iptables redirects there; prints what originalDst() reads for each accepted socket.
const PROBE = `
import { createServer, connect } from 'node:net';
import { originalDst, setTransparent, localDst } from ${JSON.stringify(ADDON_TS)};
const results = {};
const want = process.argv.slice(2);
const done = () => { console.log(JSON.stringify(results)); process.exit(0); };
const onConn = (label) => (socket) => {
  results[label] = { originalDst: originalDst(socket), local: localDst(socket) };
  socket.destroy();
  if (Object.keys(results).length === want.length + 1) done();
};
const v4 = createServer(onConn('v4'));
const v6 = createServer(onConn('v6'));
v4.listen(15001, '0.0.0.0', () => {
  setTransparent(v4);
  results.transparent = 'ok';
  v6.listen({ port: 15001, host: '::', ipv6Only: true }, () => {
    for (const target of want) {
      const [host, port] = target === 'v4' ? ['10.99.0.1', 9999] : ['fd00::1', 9999];
      connect({ host, port }).on('error', (e) => { results[target + '-error'] = e.message; });
    }
  });
});
setTimeout(() => { results.timeout = true; done(); }, 5000);
`;

beforeAll(() => {
  if (process.platform !== 'linux') throw new Error('this test needs Linux (network namespaces, netfilter)');
  if (process.getuid?.() !== 0) throw new Error('this test needs root (unshare --net, iptables)');
  work = mkdtempSync(join(tmpdir(), 'sidecar-odst-'));
  addon = join(work, 'original_dst.node');
  const include = join(dirname(dirname(process.execPath)), 'include', 'node');
  const gcc = need('gcc');
  const build = spawnSync(gcc, ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', `-I${include}`, '-o', addon, join(ADDON_DIR, 'original_dst.c')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the addon failed (node headers in ${include}?):\n${build.stderr}`);
  writeFileSync(join(work, 'probe.mts'), PROBE);
});

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('originalDst in a network namespace with iptables REDIRECT', () => {
  it('reads the pre-NAT destination for IPv4 and IPv6, and sets IP_TRANSPARENT', () => {
    for (const tool of ['unshare', 'ip', 'iptables', 'ip6tables']) need(tool);
    const script = [
      'set -e',
      'ip link set lo up',
      'ip addr add 10.99.0.1/32 dev lo',
      'ip -6 addr add fd00::1/128 dev lo nodad',
      'iptables -t nat -A OUTPUT -p tcp -d 10.99.0.1 --dport 9999 -j REDIRECT --to-ports 15001',
      'ip6tables -t nat -A OUTPUT -p tcp -d fd00::1 --dport 9999 -j REDIRECT --to-ports 15001',
      `exec ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(work, 'probe.mts'))} v4 v6`,
    ].join('\n');
    const r = spawnSync('unshare', ['--net', 'sh', '-c', script], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, SIDECAR_ORIGINAL_DST_ADDON: addon },
    });
    expect(r.status, `namespace script failed:\n${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(out.timeout).toBeUndefined();
    expect(out.transparent).toBe('ok');
    expect(out.v4).toEqual({
      originalDst: { address: '10.99.0.1', port: 9999, family: 4 },
      // REDIRECT rewrote the destination to the interface's own address: only the addon knows better.
      local: { address: '127.0.0.1', port: 15001, family: 4 },
    });
    expect(out.v6).toEqual({
      originalDst: { address: 'fd00::1', port: 9999, family: 6 },
      local: { address: '::1', port: 15001, family: 6 },
    });
  });

  it('fails clearly when the addon is missing', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(ADDON_TS)}).then((m) => m.loadAddon('/nonexistent/original_dst.node'))`], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cannot load the original-destination addon from /nonexistent/original_dst.node');
  });
});

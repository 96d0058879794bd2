// `sidecar-lab diff` of a dump folder holding a config_dump, against a saved lab config_dump: exit codes and what it names.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffCommand } from '../../../src-main/cli/dump-command';

const SLEEP = readFileSync(resolve(import.meta.dirname, '../../fixtures/sidecar/interception-sleep-config-dump.json'), 'utf8');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), verbose: false } };
}

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-lab-diff-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('diff with a config_dump', () => {
  it('exits 0 when the listeners, clusters and routes are the same, ClusterIPs and pod IP aside', async () => {
    const dir = folder({ 'config_dump.json': SLEEP.replaceAll('10.244.0.2', '192.168.7.19') });
    const labDump = join(folder({ 'lab.json': SLEEP }), 'lab.json');
    const r = io();
    expect(await diffCommand(dir, { labDump }, r.io)).toBe(0);
    expect(r.out.join('\n')).toMatch(/^No differences in listeners, clusters and routes between .*config_dump\.json and .*lab\.json\.$/);
  });

  it('exits 1 and names the listener the lab lacks', async () => {
    const lab = JSON.parse(SLEEP) as { configs: { dynamic_listeners?: { name: string }[] }[] };
    for (const c of lab.configs) if (c.dynamic_listeners) c.dynamic_listeners = c.dynamic_listeners.filter((l) => l.name !== '10.96.0.10_53');
    const labDump = join(folder({ 'lab.json': JSON.stringify(lab) }), 'lab.json');
    const r = io();
    expect(await diffCommand(folder({ 'config_dump.json': SLEEP }), { labDump }, r.io)).toBe(1);
    expect(r.out.join('\n')).toContain('- listener <kube-dns.kube-system.svc.cluster.local>_53 (TCP, 1 filter chain) only in');
  });

  it('exits 2 with what to do when it cannot compare', async () => {
    const two = folder({ 'a.json': SLEEP, 'b.json': SLEEP });
    const r = io();
    expect(await diffCommand(two, { labDump: join(two, 'a.json') }, r.io)).toBe(2);
    expect(r.err.join('\n')).toMatch(/has 2 config dumps; pick one with --config-dump/);
    const r2 = io();
    expect(await diffCommand(folder({ 'c.json': SLEEP }), { labDump: '/nonexistent/lab.json' }, r2.io)).toBe(2);
    expect(r2.err.join('\n')).toMatch(/cannot read --lab-dump file \/nonexistent\/lab\.json/);
    const r3 = io();
    expect(await diffCommand(folder({ 'c.json': '{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"}]}' }), { labDump: join(two, 'a.json') }, r3.io)).toBe(2);
    expect(r3.err.join('\n')).toMatch(/c\.json: listener dump: config dump has no configuration type .*ListenersConfigDump/);
  });
});

// The access log's stdout: never blocks the proxy on a pipe nobody drains; past its backlog it drops and counts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileLogStats } from '../../../src-pod/sidecar/stdout-sink';

const root = resolve(import.meta.dirname, '../../..');

describe('stdoutSink', () => {
  it('keeps writing while a pipe is full, then delivers what it kept, and counts the rest as dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-stdout-'));
    const child = resolve(root, 'test/fixtures/sidecar/flood-stdout.ts');
    // A real pipe (as a container's stdout is) whose reader starts only once the writer has reported.
    const script = `"${process.execPath}" "${resolve(root, 'bin/run-ts.mjs')}" "${child}" 20000 | { while [ ! -f "${dir}/go" ]; do sleep 0.05; done; cat > "${dir}/out"; }`;
    const shell = spawn('sh', ['-c', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const report = await new Promise<{ wrote: number; dropped: number; stats: FileLogStats }>((done, fail) => {
      shell.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('\n')) done(JSON.parse(err.split('\n')[0]) as { wrote: number; dropped: number; stats: FileLogStats });
      });
      shell.on('exit', (code) => fail(new Error(`exited ${code} before reporting: ${err}`)));
    });
    writeFileSync(join(dir, 'go'), '');
    await new Promise((r) => shell.on('close', r));
    const received = readFileSync(join(dir, 'out'), 'latin1').split('\n').length - 1;
    expect(report.wrote).toBe(20_000);
    expect(report.dropped).toBeGreaterThan(0);
    expect(received).toBeGreaterThan(0);
    expect(received + report.dropped).toBe(20_000);
    // The same story in Envoy's file access log stats: one write per line here.
    expect(report.stats.write_failed).toBe(report.dropped);
    expect(report.stats.write_buffered + report.stats.write_failed).toBe(20_000);
    expect(report.stats.write_total_buffered).toBeGreaterThan(256 * 1024);
    const drained = JSON.parse(err.split('\n')[1]) as FileLogStats;
    expect(drained).toMatchObject({ write_completed: report.stats.write_buffered, write_failed: report.dropped, write_total_buffered: 0 });
  }, 60_000);
});

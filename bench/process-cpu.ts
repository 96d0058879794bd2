// Where the CPU goes during a bench run, per host process group (the engine, the taps' tracing, the flow streams, `serve`), from /proc.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  pid: number;
  comm: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

/** One `/proc/PID/stat` line: the command name (it may hold spaces and parentheses) and the CPU ticks used. */
export function parseStat(pid: number, text: string): ProcSample | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After the name: state, ppid, … utime is the 14th field of the line, the 12th after the name.
  const fields = text.slice(close + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { pid, comm: text.slice(open + 1, close), ticks: utime + stime };
}

/** Every process visible now (containers' processes included: they are the host's too). */
export function readProcs(): ProcSample[] {
  const out: ProcSample[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = parseStat(Number(name), readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (s) out.push(s);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
}

/**
 * vCPU per group over `seconds`: each process's ticks after less before (a process that started
 * in between counts from zero), summed by `group` (undefined: left out). Ticks are 1/`hz` s.
 */
export function cpuByGroup(before: readonly ProcSample[], after: readonly ProcSample[], seconds: number, group: (p: ProcSample) => string | undefined, hz = 100): Record<string, number> {
  const was = new Map(before.map((p) => [p.pid, p]));
  const out: Record<string, number> = {};
  for (const p of after) {
    const g = group(p);
    if (g === undefined) continue;
    const prior = was.get(p.pid);
    // A reused pid is another process: count it from zero.
    const used = prior && prior.comm === p.comm ? p.ticks - prior.ticks : p.ticks;
    out[g] = (out[g] ?? 0) + used / hz / seconds;
  }
  return out;
}

/** The groups the capture's cost shows in; `servePid` is the `serve` process following the lab, when there is one. */
export function captureGroups(servePid: number | undefined): (p: ProcSample) => string | undefined {
  return (p) => {
    if (p.pid === servePid) return 'serve (join, WebSocket)';
    if (p.comm === 'dockerd') return 'dockerd';
    if (p.comm === 'containerd') return 'containerd';
    if (p.comm.startsWith('containerd-shim')) return 'containerd-shim';
    if (p.comm === 'xtables-monitor') return 'tap tracing (xtables-monitor)';
    if (p.comm === 'curl') return 'flow streams (curl in the proxies)';
    return undefined;
  };
}

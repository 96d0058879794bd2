// Rule changes in a pod as they happen: `xtables-monitor --event` in its tap, one callback per committed change.
import type Docker from 'dockerode';
import { changesIptables, RulesMonitorParser, TAP_COMMANDS, type RuleGeneration } from '../capture';
import { execLines, type LineStream } from './exec-stream';

export interface RulesWatch {
  /** Resolves when this watch has ended: disposed, or the monitor stopped (the tap went away). */
  done: Promise<void>;
  dispose(): void;
}

type Listener = (generation: RuleGeneration) => void;

/** One monitor per tap, however many watch it (the capture's join and the rules view, say). */
interface Monitor {
  listeners: Set<Listener>;
  started: Promise<LineStream>;
}

const monitors = new Map<string, Monitor>();

function startMonitor(docker: Docker, tapDockerName: string): Monitor {
  const parser = new RulesMonitorParser();
  const listeners = new Set<Listener>();
  const started = execLines(docker, tapDockerName, [...TAP_COMMANDS.rules], (line) => {
    for (const ev of parser.push(`${line}\n`)) {
      if (ev.kind === 'generation' && changesIptables(ev)) for (const listener of [...listeners]) listener(ev);
    }
  });
  const monitor = { listeners, started };
  const forget = () => {
    if (monitors.get(tapDockerName) === monitor) monitors.delete(tapDockerName);
  };
  started.then((stream) => stream.done.finally(forget), forget);
  return monitor;
}

/**
 * Calls `onChange` once per transaction that changed what `iptables-save` shows (an `iptables -I`
 * from the terminal, an `iptables-restore`), not for the lab's own trace table. The events carry
 * no rule positions (`-I` prints as `-A`), so callers re-read the rules rather than patch them.
 * Watches of the same tap share one `xtables-monitor`; the last to be disposed stops it.
 */
export async function watchRules(docker: Docker, tapDockerName: string, onChange: Listener): Promise<RulesWatch> {
  let monitor = monitors.get(tapDockerName);
  if (!monitor) {
    monitor = startMonitor(docker, tapDockerName);
    monitors.set(tapDockerName, monitor);
  }
  const shared = monitor;
  shared.listeners.add(onChange);
  let stream: LineStream;
  try {
    stream = await shared.started;
  } catch (err) {
    shared.listeners.delete(onChange);
    throw err;
  }
  let ended: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    ended = resolve;
    stream.done.then(resolve, resolve);
  });
  return {
    done,
    dispose() {
      if (!shared.listeners.delete(onChange)) return;
      ended();
      if (shared.listeners.size > 0) return;
      if (monitors.get(tapDockerName) === shared) monitors.delete(tapDockerName);
      stream.dispose();
    },
  };
}

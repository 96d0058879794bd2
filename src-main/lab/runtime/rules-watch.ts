// Rule changes in a pod as they happen: `xtables-monitor --event` in its tap, one callback per committed change.
import type Docker from 'dockerode';
import { changesIptables, RulesMonitorParser, TAP_COMMANDS, type RuleGeneration } from '../capture';
import { execLines, type LineStream } from './exec-stream';

export interface RulesWatch {
  /** Resolves when the monitor has ended (disposed, or the tap went away). */
  done: Promise<void>;
  dispose(): void;
}

/**
 * Calls `onChange` once per transaction that changed what `iptables-save` shows (an `iptables -I`
 * from the terminal, an `iptables-restore`), not for the lab's own trace table. The events carry
 * no rule positions (`-I` prints as `-A`), so callers re-read the rules rather than patch them.
 */
export async function watchRules(
  docker: Docker,
  tapDockerName: string,
  onChange: (generation: RuleGeneration) => void,
): Promise<RulesWatch> {
  const parser = new RulesMonitorParser();
  const stream: LineStream = await execLines(docker, tapDockerName, [...TAP_COMMANDS.rules], (line) => {
    for (const ev of parser.push(`${line}\n`)) {
      if (ev.kind === 'generation' && changesIptables(ev)) onChange(ev);
    }
  });
  return { done: stream.done, dispose: () => stream.dispose() };
}

// Captures of one lab share a tap's trace table: each holds it by a file in the tap, and only the last to let go removes the table.
import { TRACE_TABLE } from './trace-table';

/** Where the holders' files are in the tap; /run is the tap container's own, which every capture execs into. */
export const TRACE_HOLDERS_DIR = '/run/sidecar-lab-trace';

function checkHolder(holder: string): void {
  // It becomes a file name in a shell script: only what `${pid}-${n}` produces.
  if (!/^[0-9A-Za-z._-]+$/.test(holder)) throw new Error(`trace holder ${JSON.stringify(holder)}: letters, digits, . _ - only`);
}

/** The lock every holder takes around its change, so a release and an acquire never interleave. */
const locked = (dir: string, body: string): string => `set -e\nmkdir -p '${dir}'\nexec 9>'${dir}.lock'\nflock 9\n${body}`;

/**
 * argv for the tap (stdin: traceTableScript()): makes the table only if it is not there (remaking
 * it under another capture would drop that capture's marks for a moment), then records the holder.
 */
export function acquireTraceCommand(holder: string, dir = TRACE_HOLDERS_DIR): string[] {
  checkHolder(holder);
  const body = [
    `if nft list table inet ${TRACE_TABLE} >/dev/null 2>&1; then cat >/dev/null; else nft -f -; fi`,
    `touch '${dir}/${holder}'`,
  ].join('\n');
  return ['sh', '-c', locked(dir, body)];
}

/**
 * argv for the tap (stdin: removeTraceTableScript()): lets go of the table, and removes it only
 * when no other capture holds it. Prints `kept` when another still does.
 */
export function releaseTraceCommand(holder: string, dir = TRACE_HOLDERS_DIR): string[] {
  checkHolder(holder);
  const body = [
    `rm -f '${dir}/${holder}'`,
    `if [ -z "$(ls -A '${dir}')" ]; then nft -f -; else cat >/dev/null; echo kept; fi`,
  ].join('\n');
  return ['sh', '-c', locked(dir, body)];
}

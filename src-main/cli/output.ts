// How the command line talks: results on stdout, progress and errors on stderr.
import type { BuildProgress } from '../lab/images/progress';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  verbose: boolean;
}

export function consoleIO(verbose = false): CliIO {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    verbose,
  };
}

export function progressPrinter(io: CliIO): BuildProgress {
  return {
    info: (message) => io.err(`images: ${message}`),
    step: (image, message) => io.err(`images: ${image}: ${message}`),
    detail: (image, line) => {
      if (io.verbose) io.err(`images: ${image}:   ${line}`);
    },
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Plain text table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

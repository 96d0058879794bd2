// Component log lines (Envoy's levels), on stderr by default; debug text is built only when enabled.

export const LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;
export type Level = (typeof LEVELS)[number];

export function isLevel(v: string): v is Level {
  return (LEVELS as readonly string[]).includes(v);
}

export class Logger {
  private rank: number;

  constructor(
    level: Level = 'info',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {
    this.rank = LEVELS.indexOf(level);
  }

  get level(): Level {
    return LEVELS[this.rank];
  }

  setLevel(level: Level): void {
    this.rank = LEVELS.indexOf(level);
  }

  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= this.rank && this.rank < LEVELS.indexOf('off');
  }

  private emit(level: Level, component: string, message: string): void {
    // pilot-agent's layout: time, level, scope, message.
    this.write(`${new Date().toISOString()}\t${level}\t${component}\t${message}\n`);
  }

  /** Lazy: `message` runs only when debug is on, keeping the hot path free of string building. */
  debug(component: string, message: () => string): void {
    if (this.enabled('debug')) this.emit('debug', component, message());
  }

  info(component: string, message: string): void {
    if (this.enabled('info')) this.emit('info', component, message);
  }

  warn(component: string, message: string): void {
    if (this.enabled('warning')) this.emit('warning', component, message);
  }

  error(component: string, message: string): void {
    if (this.enabled('error')) this.emit('error', component, message);
  }
}

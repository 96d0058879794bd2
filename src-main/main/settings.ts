// What the window remembers between runs (last scenario, window bounds), in userData/settings.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Settings {
  lastScenario?: string;
  bounds?: { x: number; y: number; width: number; height: number };
}

export function readSettings(file: string): Settings {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Settings) : {};
  } catch {
    // First run, or a file someone broke by hand: start from nothing rather than refuse to open.
    return {};
  }
}

export function writeSettings(file: string, settings: Settings): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

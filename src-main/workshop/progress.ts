// Each participant's progress through a workshop, kept in the state dir so it survives restarts.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { stateDir } from '../lab/paths';
import type { StepBaseline } from './evidence';

export interface StepProgress {
  baseline?: StepBaseline;
  passedAt?: string;
  last?: { pass: boolean; at: string; messages: string[] };
}

export interface WorkshopProgress {
  workshop: string;
  /** The step the participant is on (`2.1`). */
  current: string;
  steps: Record<string, StepProgress>;
}

/** `SIDECAR_LAB_PARTICIPANT` names the participant where several share one account; else the login name. */
export function participant(): string {
  const named = process.env['SIDECAR_LAB_PARTICIPANT'];
  const who = named && named.trim() !== '' ? named.trim() : userInfo().username;
  return who.replace(/[^\w.-]/g, '_');
}

export function progressFile(workshop: string, who = participant()): string {
  return join(stateDir(), 'workshops', 'progress', who, `${workshop.replace(/[^\w.-]/g, '_')}.json`);
}

export function readProgress(workshop: string, firstStep: string, who = participant()): WorkshopProgress {
  const file = progressFile(workshop, who);
  if (!existsSync(file)) return { workshop, current: firstStep, steps: {} };
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as WorkshopProgress;
  } catch (err) {
    throw new Error(`${file}: unreadable progress (${(err as Error).message}); remove it to start the workshop over`, { cause: err });
  }
}

/** Written to a temporary file and renamed: a crash mid-write leaves the previous progress whole. */
export function writeProgress(progress: WorkshopProgress, who = participant()): void {
  const file = progressFile(progress.workshop, who);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(progress, null, 2));
  renameSync(`${file}.tmp`, file);
}

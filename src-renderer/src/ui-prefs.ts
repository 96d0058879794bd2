// The window's choices kept between runs in localStorage: the open view, the scenario to start, the flow list's filter.
import type { FlowFilter } from '../../src-main/contract/types';
import type { ScenarioChoice, View } from './lab-state.svelte';

export interface UiPrefs {
  view: View;
  scenario: ScenarioChoice;
  filter: FlowFilter;
}

/** A new shape gets a new key: an old one is then ignored, never misread. */
export const UI_PREFS_KEY = 'sidecar-lab.ui-prefs.v1';

// Records, so that adding a view or a verdict to the contract fails to compile until it is listed here.
const VIEWS: Record<View, true> = { topology: true, flows: true, rules: true, terminal: true, guide: true, perf: true };
const DIRECTIONS: Record<NonNullable<FlowFilter['direction']>, true> = {
  outbound: true,
  inbound: true,
};
const VERDICTS: Record<NonNullable<FlowFilter['verdict']>, true> = {
  intercepted: true,
  bypassed: true,
  blocked: true,
};
/** The filter fields the user picks; `limit` is the list's own business. */
const FILTER_TEXT_FIELDS = ['pod', 'namespace', 'cluster', 'responseFlag'] as const;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isIn = <K extends string>(set: Record<K, true>, v: unknown): v is K =>
  typeof v === 'string' && Object.hasOwn(set, v);

/** localStorage, or null where there is none or reading it throws (blocked storage, opaque origins). */
function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function scenarioFrom(v: unknown): ScenarioChoice | undefined {
  if (!isObject(v) || !isIn({ builtin: true, file: true }, v['source'])) return undefined;
  const name = typeof v['name'] === 'string' ? v['name'] : '';
  const file = typeof v['file'] === 'string' ? v['file'] : '';
  return { source: v['source'], name, file };
}

function filterFrom(v: unknown): FlowFilter | undefined {
  if (!isObject(v)) return undefined;
  const filter: FlowFilter = {};
  for (const field of FILTER_TEXT_FIELDS) {
    const value = v[field];
    if (typeof value === 'string' && value !== '') filter[field] = value;
  }
  if (isIn(DIRECTIONS, v['direction'])) filter.direction = v['direction'];
  if (isIn(VERDICTS, v['verdict'])) filter.verdict = v['verdict'];
  return filter;
}

/**
 * The prefs saved by an earlier run, field by field: a field that is missing or malformed is left out, so the
 * window keeps its default for it; unreadable storage or corrupt JSON gives nothing.
 */
export function loadUiPrefs(): Partial<UiPrefs> {
  let saved: unknown;
  try {
    const text = storage()?.getItem(UI_PREFS_KEY);
    if (!text) return {};
    saved = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isObject(saved)) return {};
  const prefs: Partial<UiPrefs> = {};
  if (isIn(VIEWS, saved['view'])) prefs.view = saved['view'];
  const scenario = scenarioFrom(saved['scenario']);
  if (scenario) prefs.scenario = scenario;
  const filter = filterFrom(saved['filter']);
  if (filter) prefs.filter = filter;
  return prefs;
}

/** Best effort: a full or blocked storage only means the next run starts from defaults. */
export function saveUiPrefs(prefs: UiPrefs): void {
  try {
    storage()?.setItem(UI_PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Nothing to tell the user: the window works the same, it just will not remember.
  }
}

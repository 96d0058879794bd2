// Recent flows, newest first, with the selected one, the newest of each direction and the list's filter; fed by `flows.list` then the `flows` stream.
import type { Dispose } from '../../../src-main/contract/api';
import { filterFlows, flowMatches } from '../../../src-main/contract/flows';
import type { Flow, FlowDirection, FlowFilter } from '../../../src-main/contract/types';
import { lab } from '../lab-client';

const MAX_FLOWS = 500;

class FlowState {
  // Raw: each flow is a finished snapshot, replaced whole; a deep proxy over 500 of them cost more than the rendering.
  flows = $state.raw<Flow[]>([]);
  selectedId = $state<string | null>(null);
  filter = $state<FlowFilter>({});
  error = $state<string | null>(null);

  visible = $derived(filterFlows([...this.flows].reverse(), this.filter));
  selected = $derived(this.selectedId === null ? null : this.byId(this.selectedId));
  /** What each diagram follows live: the newest flow of its direction that the list's other filters keep. */
  live = $derived<Record<FlowDirection, Flow | null>>({
    outbound: this.newest('outbound'),
    inbound: this.newest('inbound'),
  });

  byId(id: string): Flow | null {
    return this.flows.find((f) => f.id === id) ?? null;
  }

  private newest(direction: FlowDirection): Flow | null {
    // The list's direction filter must not blank the other diagram: each diagram is its own direction.
    const filter = { ...this.filter, direction };
    return this.flows.find((f) => flowMatches(f, filter)) ?? null;
  }
}

export const flowState = new FlowState();

/** Flows from the stream since the last frame: applied together, one update of the views per frame however fast they come. */
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a plain buffer on purpose: nothing renders from it.
let pending = new Map<string, Flow>();
let scheduled = false;

const nextFrame = (fn: () => void): void => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(fn);
  else setTimeout(fn, 16);
};

function applyPending(): void {
  scheduled = false;
  const batch = [...pending.values()].reverse();
  pending = new Map();
  const ids = new Set(batch.map((f) => f.id));
  flowState.flows = [...batch, ...flowState.flows.filter((f) => !ids.has(f.id))].slice(0, MAX_FLOWS);
}

function add(flow: Flow): void {
  // Newest last in the map: a flow sent again moves to the end, as it moves to the top of the list.
  pending.delete(flow.id);
  pending.set(flow.id, flow);
  // No frames while the window is hidden: keep only what the list could show.
  if (pending.size > MAX_FLOWS) pending.delete(pending.keys().next().value as string);
  if (!scheduled) {
    scheduled = true;
    nextFrame(applyPending);
  }
}

export function connectFlows(): Dispose {
  const api = lab();
  api.invoke('flows.list', { filter: { limit: MAX_FLOWS } }).then(
    (list) => {
      // Flows the stream delivered while the list was loading are newer: they stay first.
      const known = flowState.flows.map((f) => f.id);
      flowState.flows = [...flowState.flows, ...list.filter((f) => !known.includes(f.id))].slice(0, MAX_FLOWS);
    },
    (err: unknown) => {
      flowState.error = err instanceof Error ? err.message : String(err);
    },
  );
  return api.on('flows', '', {
    data: add,
    error: (err) => {
      flowState.error = err.message;
    },
  });
}

export function selectFlow(id: string | null): void {
  flowState.selectedId = id;
}

export function setFilter(filter: FlowFilter): void {
  flowState.filter = filter;
}

// What the join keeps however long the lab runs: a ring of the most recent flows, and totals with a bounded set of keys.
import type { Flow, FlowAggregates } from './flow-types';
import { emptyAggregates } from './flow-legs';

const OTHER = '(other)';

/** The newest `maxFlows` flows, oldest first; older ones are overwritten. */
export class FlowRing {
  private readonly ring: Flow[] = [];
  private start = 0;

  constructor(private readonly maxFlows: number) {}

  get size(): number {
    return this.ring.length;
  }

  add(flow: Flow): void {
    if (this.ring.length < this.maxFlows) this.ring.push(flow);
    else {
      this.ring[this.start] = flow;
      this.start = (this.start + 1) % this.maxFlows;
    }
  }

  /** Oldest first. */
  all(): Flow[] {
    const out: Flow[] = [];
    for (let i = 0; i < this.ring.length; i++) out.push(this.ring[(this.start + i) % this.ring.length]);
    return out;
  }
}

/** Counts of settled flows by verdict, direction, cluster, flags and code class; at most `maxKeys` keys per map, the rest as `(other)`. */
export class FlowTotals {
  private aggregates = emptyAggregates();

  constructor(private readonly maxKeys: number) {}

  /** Adds a settled flow (`by` 1), or takes one back out (-1); a request summary counts as the requests it folds. */
  count(flow: Flow, by: 1 | -1): void {
    const a = this.aggregates;
    const n = by * (flow.summary?.requests ?? 1);
    if (flow.kind === 'request') a.requests += n;
    else a.connections += n;
    a.byVerdict[flow.verdict] += n;
    a.byDirection[flow.direction] += n;
    this.bump(a.byCluster, flow.cluster ?? '(none)', n);
    if (flow.summary) {
      for (const [flags, k] of Object.entries(flow.summary.flags)) this.bump(a.byResponseFlags, flags, by * k);
      for (const [code, k] of Object.entries(flow.summary.codes)) this.bump(a.byCodeClass, codeClass(Number(code)), by * k);
      return;
    }
    this.bump(a.byResponseFlags, flow.response?.flags ?? '-', n);
    this.bump(a.byCodeClass, codeClass(flow.response?.code ?? 0), n);
  }

  snapshot(): FlowAggregates {
    return structuredClone(this.aggregates);
  }

  private bump(rec: Record<string, number>, key: string, by: number): void {
    const k = key in rec || Object.keys(rec).length < this.maxKeys ? key : OTHER;
    rec[k] = (rec[k] ?? 0) + by;
    if (rec[k] === 0) delete rec[k];
  }
}

const codeClass = (code: number): string => (code === 0 ? '0' : `${Math.floor(code / 100)}xx`);

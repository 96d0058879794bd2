// The join: kernel trace events + the sidecar's flow events → bounded, per-connection/per-request flows.
import type { FlowEvent } from '../../../src-pod/sidecar/flow-events';
import type { Flow, FlowAggregates, FlowChange, FlowJoinerOptions, Leg, RuleHit } from './flow-types';
import type { RuleIndex } from './rules-monitor';
import type { PacketFields, TraceEvent } from './trace-parser';
import { AgeQueue } from './age-queue';
import { blankFlow, endsOf, fillFromProxy, tracedLeg, untracedLeg } from './flow-build';
import { plain, summarize, tupleKey } from './flow-legs';
import { FlowRing, FlowTotals } from './flow-store';
import { TRACE_TABLE } from './trace-table';

/** A traced first packet (SYN, or a UDP datagram) with the rules it went through. */
interface PacketPath {
  key: string;
  packet: PacketFields;
  hits: RuleHit[];
  firstSeen: number;
  leg: Leg | null;
}

interface Waiting {
  flow: Flow;
  leg: Leg;
  since: number;
}

export class FlowJoiner {
  private readonly holdMs: number;
  private readonly upstreamHoldMs: number;
  private readonly lateMs: number;
  private readonly maxPending: number;
  private readonly maxOpen: number;
  private readonly proxyUid: number;
  private readonly proxyGid: number;
  private readonly ownTable: string;
  private readonly now: () => number;
  private readonly onFlow: ((flow: Flow, change: FlowChange) => void) | undefined;
  private ruleIndex: RuleIndex | null = null;

  private readonly ring: FlowRing;
  private nextId = 1;
  /** Traced paths inside their holding window, oldest first (Map keeps insertion order). */
  private readonly paths = new AgeQueue<string, PacketPath>();
  /** Proxy-originated paths past holdMs that an open connection may still claim as its upstream. */
  private readonly upstreamPaths = new AgeQueue<string, PacketPath>();
  /** Proxy legs waiting for their trace: by SYN key. */
  private readonly awaitTrace = new AgeQueue<string, Waiting>();
  /** Redirected SYNs emitted without a proxy event, still claimable by a late one. */
  private readonly orphans = new AgeQueue<string, Waiting>();
  private readonly open = new AgeQueue<number, Flow>();
  private readonly totalsKept: FlowTotals;

  constructor(opts: FlowJoinerOptions = {}) {
    this.holdMs = opts.holdMs ?? 2000;
    this.upstreamHoldMs = opts.upstreamHoldMs ?? 10_000;
    this.lateMs = opts.lateMs ?? 30_000;
    this.ring = new FlowRing(opts.maxFlows ?? 5000);
    this.maxPending = opts.maxPending ?? 20_000;
    this.maxOpen = opts.maxOpen ?? 20_000;
    this.totalsKept = new FlowTotals(opts.maxAggregateKeys ?? 256);
    this.proxyUid = opts.proxyUid ?? 1337;
    this.proxyGid = opts.proxyGid ?? 1337;
    this.ownTable = opts.ownTable ?? TRACE_TABLE;
    this.now = opts.now ?? Date.now;
    this.onFlow = opts.onFlow;
    const ids = `(?:${this.proxyUid}|${this.proxyGid})`;
    this.ownerMatch = new RegExp(`(?<!! )--(?:uid|gid)-owner ${ids}\\b|(?<!!= )sk[ug]id ${ids}\\b`);
  }

  /** Rule numbers come from this snapshot (re-set it when rules-monitor reports a change). */
  setRuleIndex(index: RuleIndex | null): void {
    this.ruleIndex = index;
  }

  addTrace(ev: TraceEvent): void {
    const now = this.now();
    this.expire(now);
    if (ev.table === this.ownTable) return;
    const p = ev.packet;
    // Only a connection's first packet is traced and evaluated by nat; anything else is noise here.
    if (p.src === '' || (p.proto === 'tcp' && (!p.syn || p.ack))) return;
    const key = tupleKey(p.proto, p.src, p.sport, p.dst, p.dport);
    let path = this.paths.get(key) ?? this.upstreamPaths.get(key);
    if (!path) {
      path = { key, packet: p, hits: [], firstSeen: now, leg: null };
      this.paths.set(key, path, now);
      if (this.paths.size > this.maxPending) this.settlePath(this.paths);
    }
    const found = ev.ruleText ? this.ruleIndex?.lookup(ev.table, ev.chain, ev.ruleText) : null;
    path.hits.push({
      table: ev.table,
      chain: ev.chain,
      type: ev.type,
      ruleNumber: found?.number ?? null,
      handle: ev.handle,
      ruleText: ev.ruleText,
      verdict: ev.verdictText,
    });
    if (!path.leg) {
      const waiting = this.awaitTrace.get(key);
      if (waiting) {
        this.awaitTrace.delete(key);
        this.attach(path, waiting.leg, waiting.flow, now);
        return;
      }
    }
    if (path.leg) {
      summarize(path.leg);
      const flow = this.legOwner.get(path.leg);
      if (flow) this.touch(flow, now, 'update');
    }
  }

  addProxy(ev: FlowEvent): void {
    const now = this.now();
    this.expire(now);
    if (ev.type === 'request' || ev.type === 'request.summary') {
      this.request(ev, now);
      return;
    }
    let flow = this.open.get(ev.connectionId);
    const fresh = !flow;
    if (!flow) flow = this.connectionFlow(ev, now);
    fillFromProxy(flow, ev);
    this.linkUpstream(flow, ev, now);
    if (fresh) this.emit(flow, 'new');
    if (ev.type === 'connection.close') {
      flow.state = 'closed';
      this.open.delete(ev.connectionId);
      this.settle(flow, now);
    } else this.touch(flow, now, 'update');
  }

  /** Settles what waited too long; call it on a timer when events are rare (every add also does). */
  tick(): void {
    this.expire(this.now());
  }

  /** The ring, oldest first. */
  flows(): Flow[] {
    return this.ring.all();
  }

  stats(): {
    flows: number;
    paths: number;
    upstreamPaths: number;
    awaitTrace: number;
    orphans: number;
    open: number;
  } {
    return {
      flows: this.ring.size,
      paths: this.paths.size,
      upstreamPaths: this.upstreamPaths.size,
      awaitTrace: this.awaitTrace.size,
      orphans: this.orphans.size,
      open: this.open.size,
    };
  }

  totals(): FlowAggregates {
    return this.totalsKept.snapshot();
  }

  // --- internals ---

  private readonly legOwner = new WeakMap<Leg, Flow>();
  /** A non-negated owner match on the proxy's uid/gid, in iptables or nft syntax. */
  private readonly ownerMatch: RegExp;

  private expire(now: number): void {
    for (let e = this.paths.peek(); e && now - e.at >= this.holdMs; e = this.paths.peek()) {
      this.paths.shift();
      const path = e.value;
      if (path.leg) continue;
      if (
        this.open.size > 0 &&
        now - path.firstSeen < this.upstreamHoldMs &&
        this.fromProxy(path)
      ) {
        this.upstreamPaths.set(e.key, path, path.firstSeen);
        if (this.upstreamPaths.size > this.maxPending) this.settlePath(this.upstreamPaths);
        continue;
      }
      this.traceOnly(path, now);
    }
    for (let e = this.upstreamPaths.peek(); e; e = this.upstreamPaths.peek()) {
      if (now - e.at < this.upstreamHoldMs && this.open.size > 0) break;
      this.upstreamPaths.shift();
      if (!e.value.leg) this.traceOnly(e.value, now);
    }
    for (let e = this.awaitTrace.peek(); e && now - e.at >= this.holdMs; e = this.awaitTrace.peek())
      this.awaitTrace.shift();
    for (let e = this.orphans.peek(); e && now - e.at >= this.lateMs; e = this.orphans.peek())
      this.orphans.shift();
  }

  /** Over its cap: the oldest path is emitted with what is known. */
  private settlePath(from: AgeQueue<string, PacketPath>): void {
    const path = from.shift()?.value;
    if (path && !path.leg) this.traceOnly(path, this.now());
  }

  /** A SYN the proxy itself sent: by owner match on the deciding rule, its uid/gid, or the inbound source 127.0.0.6. */
  private fromProxy(path: PacketPath): boolean {
    if (path.packet.uid === this.proxyUid || path.packet.gid === this.proxyGid) return true;
    if (plain(path.packet.src) === '127.0.0.6') return true;
    return path.hits.some(
      (h) =>
        h.type === 'rule' &&
        (h.verdict === 'RETURN' || h.verdict === 'ACCEPT') &&
        this.ownerMatch.test(h.ruleText ?? ''),
    );
  }

  /**
   * Emits a flow the proxy never reported: bypassed, blocked by a rule, or redirected to a silent
   * proxy. A SYN of the proxy's own that no flow claimed is the proxy's connection, not the app's.
   */
  private traceOnly(path: PacketPath, now: number): void {
    const p = path.packet;
    const { leg, inbound, verdict } = tracedLeg(p, path.hits);
    const proxyOwn = !inbound && leg.outcome !== 'redirected' && this.fromProxy(path);
    if (proxyOwn) leg.from = { ...leg.from, role: 'proxy' };
    const flow = this.newFlow(now, {
      proxyOwn,
      direction: inbound ? 'inbound' : 'outbound',
      proto: p.proto,
      verdict,
      client: { address: p.src, port: p.sport ?? 0 },
      destination: { address: p.dst, port: p.dport ?? 0 },
      legs: [leg],
      state: 'closed',
    });
    path.leg = leg;
    this.legOwner.set(leg, flow);
    this.emit(flow, 'new');
    if (leg.outcome === 'redirected')
      this.remember(this.orphans, path.key, { flow, leg, since: now });
    this.settle(flow, now);
  }

  private newFlow(
    now: number,
    init: Partial<Flow> & Pick<Flow, 'direction' | 'verdict' | 'client' | 'destination' | 'legs'>,
  ): Flow {
    const flow = blankFlow(this.nextId++, now, init);
    this.ring.add(flow);
    return flow;
  }

  private connectionFlow(ev: FlowEvent, now: number): Flow {
    const d = ev.downstream;
    const { client, destination } = endsOf(ev);
    const inbound = ev.direction === 'inbound';
    const down = untracedLeg(
      { role: inbound ? 'peer' : 'app', address: client.address, port: client.port },
      { role: 'proxy', address: plain(d.localAddress), port: d.localPort },
    );
    const flow = this.newFlow(now, {
      direction: ev.direction,
      verdict: 'intercepted',
      client,
      destination,
      legs: [down],
      proxySeen: true,
      connectionId: ev.connectionId,
    });
    this.open.set(ev.connectionId, flow, now);
    if (this.open.size > this.maxOpen) {
      const oldest = this.open.shift()?.value;
      if (oldest) this.settle(oldest, now);
    }
    this.claim(
      tupleKey('tcp', client.address, client.port, destination.address, destination.port),
      flow,
      down,
      now,
    );
    return flow;
  }

  /** Gives a proxy leg its traced path now, or registers it to wait for the trace. */
  private claim(key: string, flow: Flow, leg: Leg, now: number): void {
    this.legOwner.set(leg, flow);
    const path = this.paths.get(key) ?? this.upstreamPaths.get(key);
    if (path && !path.leg) {
      this.attach(path, leg, flow, now);
      return;
    }
    const orphan = this.orphans.get(key);
    if (orphan) {
      // The trace was emitted alone before the proxy spoke: fold it into this flow and drop the orphan.
      this.orphans.delete(key);
      Object.assign(leg, { ...orphan.leg, to: leg.to });
      this.legOwner.set(leg, flow);
      this.unsettle(orphan.flow);
      orphan.flow.mergedInto = flow.id;
      this.touch(orphan.flow, now, 'update');
      return;
    }
    this.remember(this.awaitTrace, key, { flow, leg, since: now });
  }

  private attach(path: PacketPath, leg: Leg, flow: Flow, now: number): void {
    path.leg = leg;
    leg.rules = path.hits;
    leg.traced = true;
    leg.hook = path.hits.find((h) => h.type !== 'return')?.chain ?? null;
    summarize(leg);
    if (leg.outcome === 'dropped') flow.verdict = 'blocked';
    this.touch(flow, now, 'update');
  }

  private remember(queue: AgeQueue<string, Waiting>, key: string, w: Waiting): void {
    queue.set(key, w, w.since);
    if (queue.size > this.maxPending) queue.shift();
  }

  private linkUpstream(flow: Flow, ev: FlowEvent, now: number): void {
    const u = ev.upstream;
    if (!u || flow.legs.length > 1) return;
    const inbound = flow.direction === 'inbound';
    const leg = untracedLeg(
      { role: 'proxy', address: plain(u.localAddress), port: u.localPort },
      { role: inbound ? 'app' : 'upstream', address: plain(u.remoteAddress), port: u.remotePort },
    );
    flow.legs.push(leg);
    this.claim(
      tupleKey('tcp', u.localAddress, u.localPort, u.remoteAddress, u.remotePort),
      flow,
      leg,
      now,
    );
  }

  private request(ev: FlowEvent, now: number): void {
    let parent = this.open.get(ev.connectionId);
    if (!parent) {
      // The open event was missed (monitor started late): the request still names its connection.
      parent = this.connectionFlow({ ...ev, type: 'connection.open' }, now);
      this.emit(parent, 'new');
    }
    this.linkUpstream(parent, ev, now);
    const child = this.newFlow(now, {
      kind: 'request',
      parentId: parent.id,
      connectionId: ev.connectionId,
      direction: parent.direction,
      verdict: parent.verdict,
      client: parent.client,
      destination: parent.destination,
      legs: parent.legs,
      proxySeen: true,
      state: 'closed',
    });
    fillFromProxy(child, ev);
    if (ev.summary) child.summary = ev.summary;
    this.emit(child, 'new');
    this.settle(child, now);
  }

  private touch(flow: Flow, now: number, change: FlowChange): void {
    flow.updated = now;
    this.emit(flow, change);
  }

  private emit(flow: Flow, change: FlowChange): void {
    this.onFlow?.(flow, change);
  }

  private settle(flow: Flow, now: number): void {
    this.totalsKept.count(flow, 1);
    this.touch(flow, now, 'final');
  }

  /** Takes an orphan out of the totals when a late proxy event turns it into part of another flow. */
  private unsettle(flow: Flow): void {
    this.totalsKept.count(flow, -1);
    flow.verdict = 'intercepted';
    flow.proxySeen = true;
  }
}

// Pure helpers of the flows view: the two sequence diagrams as lanes and steps, and short texts for a flow.
import type { Flow, FlowDirection, FlowLeg } from '../../../src-main/contract/types';

export interface Lane {
  label: string;
  sub: string;
}

export interface Step {
  from: number;
  to: number;
  label: string;
  /** The netfilter rule or proxy object behind this hop, when the flow says. */
  detail?: string;
  response?: boolean;
}

export interface Diagram {
  lanes: Lane[];
  steps: Step[];
  /** Lanes the flow went past without entering (bypassed flows skip the proxy). */
  skipped: number[];
  /** The lane where a blocked flow ended. */
  blockedAt?: number;
}

export const OUTBOUND_LANES: Lane[] = [
  { label: 'app', sub: 'connect()' },
  { label: 'iptables', sub: 'nat OUTPUT' },
  { label: ':15001', sub: 'outbound capture' },
  { label: 'istio-proxy', sub: 'uid 1337' },
  { label: 'upstream', sub: 'peer / service' },
];

export const INBOUND_LANES: Lane[] = [
  { label: 'peer', sub: 'client' },
  { label: 'iptables', sub: 'nat PREROUTING' },
  { label: ':15006', sub: 'inbound capture' },
  { label: 'istio-proxy', sub: 'uid 1337' },
  { label: '127.0.0.6', sub: 'proxy → app source' },
  { label: 'app', sub: 'listening port' },
];

export function legDetail(leg: FlowLeg | undefined): string | undefined {
  if (!leg?.chain) return undefined;
  return `${leg.table ?? 'nat'} ${leg.chain}${leg.ruleNumber !== undefined ? ` #${leg.ruleNumber}` : ''}`;
}

/** A blocked flow that reached a listener was refused by the proxy; otherwise netfilter stopped it. */
function blockedInProxy(flow: Flow): boolean {
  return Boolean(flow.listener || flow.cluster);
}

export function diagramFor(direction: FlowDirection, flow?: Flow | null): Diagram {
  const legs = flow?.legs ?? [];
  const detail = (i: number) => legDetail(legs[i]);
  const dst = flow?.destination ?? '';
  // What the rules saw first: a TCP connection's SYN, or a UDP datagram (DNS) that has none.
  const opener = flow?.protocol === 'udp' ? 'UDP' : 'SYN';
  const first: Step = { from: 0, to: 1, label: dst ? `${opener} → ${dst}` : opener, detail: detail(0) };
  if (direction === 'outbound') {
    const lanes = OUTBOUND_LANES;
    if (flow?.proxyOwn) {
      // The proxy's own connection starts at the proxy, and its owner rule lets it past the redirect.
      const fromProxy: Step = { ...first, from: 3, to: 1 };
      return { lanes, skipped: [2], steps: [fromProxy, { from: 1, to: 4, label: 'RETURN: the proxy’s own (uid 1337)', detail: detail(1) }] };
    }
    if (flow?.verdict === 'bypassed') {
      return { lanes, skipped: [2, 3], steps: [first, { from: 1, to: 4, label: 'RETURN: not redirected', detail: detail(1) }] };
    }
    const toProxy: Step[] = [
      first,
      { from: 1, to: 2, label: 'REDIRECT --to-ports 15001', detail: detail(1) ?? 'nat ISTIO_REDIRECT' },
      { from: 2, to: 3, label: flow?.listener ?? 'virtualOutbound', detail: detail(2) },
    ];
    if (flow?.verdict === 'blocked') {
      return blockedInProxy(flow)
        ? { lanes, skipped: [], steps: toProxy, blockedAt: 3 }
        : { lanes, skipped: [], steps: [first], blockedAt: 1 };
    }
    const upstream: Step = { from: 3, to: 4, label: flow?.cluster ?? 'cluster', detail: flow?.upstream };
    return { lanes, skipped: [], steps: [...toProxy, upstream, ...response(flow, 4, 0)] };
  }
  const lanes = INBOUND_LANES;
  if (flow?.verdict === 'bypassed') {
    return { lanes, skipped: [2, 3, 4], steps: [first, { from: 1, to: 5, label: 'RETURN: port not captured', detail: detail(1) }] };
  }
  const toProxy: Step[] = [
    first,
    { from: 1, to: 2, label: 'REDIRECT --to-ports 15006', detail: detail(1) ?? 'nat ISTIO_IN_REDIRECT' },
    { from: 2, to: 3, label: flow?.listener ?? 'virtualInbound', detail: detail(2) },
  ];
  if (flow?.verdict === 'blocked') {
    return blockedInProxy(flow)
      ? { lanes, skipped: [], steps: toProxy, blockedAt: 3 }
      : { lanes, skipped: [], steps: [first], blockedAt: 1 };
  }
  return {
    lanes,
    skipped: [],
    steps: [
      ...toProxy,
      { from: 3, to: 4, label: flow?.cluster ?? 'InboundPassthroughCluster', detail: 'bind 127.0.0.6' },
      { from: 4, to: 5, label: 'OUTPUT: -o lo -s 127.0.0.6 RETURN', detail: detail(3) },
      ...response(flow, 5, 0),
    ],
  };
}

export interface Motion {
  /** SVG path of the packet: along each arrow, then down the lifeline to the next row. */
  path: string;
  /** The same path as corners, each with the fraction of the trip at which the packet passes it. */
  points: { x: number; y: number; offset: number }[];
  seconds: number;
  /** When the packet starts each step and how long it takes it, in seconds: the arrows light up in step with it. */
  steps: { start: number; seconds: number }[];
}

/** The packet's trip through the drawn steps at a steady pace, kept between 1 and 4 seconds whatever the path's length. */
export function motionFor(steps: Step[], laneX: number[], rowY: (row: number) => number, pace = 450): Motion {
  const points = steps.flatMap((s, i) => [
    { x: laneX[s.from], y: rowY(i) },
    { x: laneX[s.to], y: rowY(i) },
  ]);
  const at: number[] = [0];
  for (let i = 1; i < points.length; i++) at.push(at[i - 1] + Math.hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y));
  const total = at.at(-1) ?? 0;
  const seconds = Math.min(4, Math.max(1, total / pace));
  const time = (d: number) => (total > 0 ? (d / total) * seconds : 0);
  return {
    path: points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' '),
    points: points.map((p, i) => ({ ...p, offset: total > 0 ? at[i] / total : 0 })),
    seconds,
    steps: steps.map((_, i) => ({ start: time(at[2 * i]), seconds: time(at[2 * i + 1]) - time(at[2 * i]) })),
  };
}

function response(flow: Flow | null | undefined, from: number, to: number): Step[] {
  if (!flow?.responseCode) return [];
  return [{ from, to, label: `${flow.responseCode}${flow.responseFlags && flow.responseFlags !== '-' ? ` ${flow.responseFlags}` : ''}`, response: true }];
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

export function clockTime(iso: string): string {
  return iso.slice(11, 23);
}

/** `code flags` for the list: `200`, `503 UF,URX`, `—` for plain TCP; a folded load's row says how many requests it stands for (`200 ×950`). */
export function responseText(flow: Flow): string {
  const flags = flow.responseFlags && flow.responseFlags !== '-' ? flow.responseFlags : '';
  const folded = flow.requests !== undefined ? `×${flow.requests}` : '';
  return [flow.responseCode ?? '', flags, folded].filter((x) => x !== '').join(' ') || '—';
}

/** Rule keys `table/chain/number` the flow's legs hit, for highlighting in the rules view. */
export function ruleKeys(flow: Flow | null | undefined): Set<string> {
  const keys = new Set<string>();
  for (const leg of flow?.legs ?? []) {
    if (leg.chain && leg.ruleNumber !== undefined) keys.add(`${leg.table ?? 'nat'}/${leg.chain}/${leg.ruleNumber}`);
  }
  return keys;
}

// Istio's analysis messages (pkg/config/analysis/msg/messages.yaml) and how istioctl prints them (diag.Message.String).
import type { Resource } from './resources';

export type Level = 'Error' | 'Warning' | 'Info';
const LEVEL_ORDER: Level[] = ['Error', 'Warning', 'Info'];

export interface MessageType {
  level: Level;
  code: string;
  template: string;
}

export const MESSAGES = {
  ReferencedResourceNotFound: { level: 'Error', code: 'IST0101', template: 'Referenced %s not found: %q' },
  NamespaceNotInjected: {
    level: 'Info',
    code: 'IST0102',
    template:
      "The namespace is not enabled for Istio injection. Run 'kubectl label namespace %s istio-injection=enabled' to enable it, or 'kubectl label namespace %s istio-injection=disabled' to explicitly mark it as not needing injection.",
  },
  PodMissingProxy: {
    level: 'Warning',
    code: 'IST0103',
    template: 'The pod %s is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.',
  },
  PortNameIsNotUnderNamingConvention: {
    level: 'Info',
    code: 'IST0118',
    template: "Port name %s (port: %d, targetPort: %s) doesn't follow the naming convention of Istio port.",
  },
  LocalhostListener: {
    level: 'Error',
    code: 'IST0143',
    template: 'Port %v is exposed in a Service but listens on localhost. It will not be exposed to other pods.',
  },
  AlphaAnnotation: {
    level: 'Info',
    code: 'IST0136',
    template: 'Annotation %q is part of an alpha-phase feature and may be incompletely supported.',
  },
  InsufficientPermissions: { level: 'Error', code: 'IST0141', template: 'Missing required permission to create resource %v (%v)' },
  UnsupportedKubernetesVersion: { level: 'Error', code: 'IST0142', template: 'The Kubernetes Version %q is lower than the minimum version: %v' },
  // The English of messages.yaml's IST0156 (its Chinese translation: "Gateway API CRD 版本 %v 低于最低要求版本: %v").
  UnsupportedGatewayAPIVersion: { level: 'Error', code: 'IST0156', template: 'The Gateway API CRD version %v is lower than the minimum version: %v' },
  InvalidApplicationUID: { level: 'Warning', code: 'IST0144', template: 'User ID (UID) 1337 is reserved for the sidecar proxy.' },
} satisfies Record<string, MessageType>;

export interface Message {
  type: MessageType;
  resource: Resource;
  params: (string | number)[];
  /** The line of the field at fault, replacing the resource's own line in the reference. */
  line?: number;
}

/** Go's fmt verbs as the templates use them: %s, %d, %q, %v. */
function format(template: string, params: (string | number)[]): string {
  let i = 0;
  return template.replace(/%([sdqv])/g, (_, verb: string) => {
    const p = params[i++];
    return verb === 'q' ? JSON.stringify(String(p)) : String(p);
  });
}

/** `Kind name.namespace` (istioctl's convention), or `Kind name` for cluster-scoped objects. */
export function friendlyName(r: Resource): string {
  if (r.origin) return r.origin;
  return r.namespace === '' ? `${r.kind} ${r.name}` : `${r.kind} ${r.name}.${r.namespace}`;
}

/** `file:line` of a resource read from a file; '' for one read from the cluster. */
export function reference(m: Message): string {
  return m.resource.file === '' ? '' : `${m.resource.file}:${m.line ?? m.resource.line}`;
}

export function messageText(m: Message): string {
  return format(m.type.template, m.params);
}

export function messageString(m: Message): string {
  // A resource read from the cluster has no file position: its origin is the name alone.
  const origin = ` (${friendlyName(m.resource)}${reference(m) ? ` ${reference(m)}` : ''})`;
  return `${m.type.level} [${m.type.code}]${origin} ${messageText(m)}`;
}

export function levelRank(level: Level): number {
  return LEVEL_ORDER.indexOf(level);
}

/** diag.Messages.SortedDedupedCopy: by level, code, namespace, origin name, then parameters; identical lines once. */
export function sortedDeduped(ms: Message[]): Message[] {
  const sorted = [...ms].sort((a, b) => {
    if (a.type.level !== b.type.level) return levelRank(a.type.level) - levelRank(b.type.level);
    if (a.type.code !== b.type.code) return a.type.code < b.type.code ? -1 : 1;
    if (a.resource.namespace !== b.resource.namespace) return a.resource.namespace < b.resource.namespace ? -1 : 1;
    const fa = friendlyName(a.resource);
    const fb = friendlyName(b.resource);
    if (fa !== fb) return fa < fb ? -1 : 1;
    const pa = a.params.join(' ');
    const pb = b.params.join(' ');
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
  const seen = new Set<string>();
  return sorted.filter((m) => {
    const s = messageString(m);
    if (seen.has(s)) return false;
    seen.add(s);
    return true;
  });
}

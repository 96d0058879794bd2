// Pure helpers of the terminal view: a tab's shortened pod name, and hints drawn from the running lab's Services.
import type { LabStatusInfo } from '../../../src-main/contract/types';

/** Pod names longer than this are shortened in the middle: the start names the workload, the end tells replicas apart. */
export const TAB_POD_CHARS = 20;

/** `httpbin-5d8f7c6b9-q7wzr` → `httpbin-5d…-q7wzr` when over `max` characters; shorter names as they are. */
export function shortenMiddle(text: string, max = TAB_POD_CHARS): string {
  if (text.length <= max) return text;
  const keep = max - 1;
  const tail = Math.floor(keep / 2);
  return `${text.slice(0, keep - tail)}…${text.slice(text.length - tail)}`;
}

const HTTP_NAME = /^(http|http2|grpc-web)(-|$)/i;

/**
 * Requests worth trying from a pod: one per Service of the scenario that serves HTTP (by its port's
 * name, as Istio reads protocols, or a well-known HTTP port), at the port the Service really listens
 * on. Services of kube-system and the API server's own are left out: they are the cluster's, not the lesson's.
 */
export function requestHints(status: LabStatusInfo | null, max = 3): string[] {
  const hints: string[] = [];
  for (const svc of status?.services ?? []) {
    if (svc.clusterIP === null || svc.namespace === 'kube-system' || (svc.namespace === 'default' && svc.name === 'kubernetes')) continue;
    const port = svc.ports.find((p) => p.protocol === 'TCP' && (HTTP_NAME.test(p.name ?? '') || [80, 8000, 8080].includes(p.port)));
    if (!port) continue;
    hints.push(`curl -s ${svc.name}.${svc.namespace}${port.port === 80 ? '' : `:${port.port}`}/`);
    if (hints.length === max) break;
  }
  return hints;
}

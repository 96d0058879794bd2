// The annotations Istio's injection template writes in CNI mode, which istio-cni reads on the node to write the pod's rules.
import { ANNOTATIONS, excludeInboundPort } from './annotations';
import type { InjectorValues } from './values';

/**
 * In CNI mode no istio-init carries the istio-iptables flags: the template writes them onto the pod
 * as annotations instead (`metadata.annotations` of injection-template.yaml under
 * `pilot.cni.enabled`), annotation before value, as for istio-init. A range list left empty is not
 * written (the template's `with`); the outbound port lists only when annotated or set in the values.
 * The Multus network annotation (`pilot.cni.provider: multus`) is not written: the lab has no Multus.
 */
export function cniAnnotations(a: Record<string, string>, values: InjectorValues, interceptionMode: string): Record<string, string> {
  const p = values.global.proxy;
  const ann = (name: string, fallback: string): string => a[name] ?? fallback;
  const out: Record<string, string> = { [ANNOTATIONS.interceptionMode]: interceptionMode };
  const include = ann(ANNOTATIONS.includeOutboundIPRanges, p.includeIPRanges);
  if (include !== '') out[ANNOTATIONS.includeOutboundIPRanges] = include;
  const exclude = ann(ANNOTATIONS.excludeOutboundIPRanges, p.excludeIPRanges);
  if (exclude !== '') out[ANNOTATIONS.excludeOutboundIPRanges] = exclude;
  out[ANNOTATIONS.includeInboundPorts] = ann(ANNOTATIONS.includeInboundPorts, p.includeInboundPorts);
  out[ANNOTATIONS.excludeInboundPorts] = excludeInboundPort(
    ann(ANNOTATIONS.statusPort, String(p.statusPort)),
    ann(ANNOTATIONS.excludeInboundPorts, p.excludeInboundPorts),
  );
  if (a[ANNOTATIONS.includeOutboundPorts] !== undefined || p.includeOutboundPorts !== '')
    out[ANNOTATIONS.includeOutboundPorts] = ann(ANNOTATIONS.includeOutboundPorts, p.includeOutboundPorts);
  if (a[ANNOTATIONS.excludeOutboundPorts] !== undefined || p.excludeOutboundPorts !== '')
    out[ANNOTATIONS.excludeOutboundPorts] = ann(ANNOTATIONS.excludeOutboundPorts, p.excludeOutboundPorts);
  return out;
}

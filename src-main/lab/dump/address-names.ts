// Addresses that differ between a cluster and the lab but mean the same thing, named so two config_dumps compare.

/**
 * Each side's Service ClusterIPs and the pod's own IP, by a name both sides share
 * (`reviews.default.svc.cluster.local`, `pod`). Without it every `<ClusterIP>_<port>` listener
 * would read as missing on one side and extra on the other.
 */
export type AddressNames = Map<string, string>;

/** An IPv4 address inside a name or a match (`10.96.0.10_53`, `Addr: 10.96.0.10/32:53`); the lab is IPv4 only. */
const IP = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g;

export function renamed(text: string, names: AddressNames): string {
  return text.replace(IP, (ip) => {
    const name = names.get(ip);
    return name === undefined ? ip : `<${name}>`;
  });
}

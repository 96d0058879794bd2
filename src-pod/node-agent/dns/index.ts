// The node agent's DNS server (the kube-dns stand-in) and its record types.
export { createDnsServer, type DnsServer, type DnsServerOptions } from './server';
export type { DnsRecordSet, SrvTarget } from './zone';

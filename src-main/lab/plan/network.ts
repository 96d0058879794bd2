// The lab's address plan (kubeadm-like) and IPv4 arithmetic.

/** The lab's Docker network covers pods and VIPs, so bridged VIP traffic is not dropped (see DESIGN). */
export const LAB_SUBNET = '10.0.0.0/8';
/** Docker's --ip-range: the pod CIDR, as kubeadm's default for flannel. */
export const POD_CIDR = '10.244.0.0/16';
export const LAB_GATEWAY = '10.255.255.254';
export const NODE_IP = '10.244.0.1';
export const FIRST_POD_IP = '10.244.0.2';
export const SERVICE_CIDR = '10.96.0.0/12';
/** The first address of the service range, as in every cluster. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const KUBE_DNS_IP = '10.96.0.10';
/** Allocated ClusterIPs start here, clear of the well-known low addresses. */
export const FIRST_ALLOCATED_SERVICE_IP = '10.96.0.100';
export const CLUSTER_DOMAIN = 'cluster.local';
export const NODE_HOSTNAME = 'node';

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function cidrRange(cidr: string): { first: number; last: number } {
  const [ip, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const first = Math.floor(ipToInt(ip) / size) * size;
  return { first, last: first + size - 1 };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const { first, last } = cidrRange(cidr);
  const n = ipToInt(ip);
  return n >= first && n <= last;
}

/** `10.244.0.5` → `10-244-0-5` (pod DNS names). */
export function dashedIp(ip: string): string {
  return ip.replace(/\./g, '-');
}

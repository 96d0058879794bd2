// What the lab tells its node: Services with their endpoints, and the cluster's DNS records.
export interface NodeServicePort {
  name: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  endpoints: { ip: string; port: number }[];
}

export interface NodeService {
  namespace: string;
  name: string;
  clusterIP: string;
  ports: NodeServicePort[];
}

export interface NodeConfig {
  nodeIP: string;
  clusterDomain: string;
  services: NodeService[];
  dns: Record<string, { a?: string[]; aaaa?: string[] }>;
}

export function parseNodeConfig(text: string, source: string): NodeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const cfg = raw as Partial<NodeConfig>;
  if (!cfg || typeof cfg !== 'object') throw new Error(`${source}: expected an object`);
  if (typeof cfg.nodeIP !== 'string') throw new Error(`${source}: nodeIP is missing`);
  if (!Array.isArray(cfg.services)) throw new Error(`${source}: services must be a list`);
  return {
    nodeIP: cfg.nodeIP,
    clusterDomain: cfg.clusterDomain ?? 'cluster.local',
    services: cfg.services,
    dns: cfg.dns ?? {},
  };
}

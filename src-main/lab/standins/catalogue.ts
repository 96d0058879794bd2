// The built-in catalogue of workloads a stand-in can play, found from an image's name.
import type { StandinProtocol } from '../../../src-pod/standin/spec';

export interface CatalogueEntry {
  /** What the entry is called in `up`'s notes (`mysql`, `nginx`, `curl client`). */
  name: string;
  /** Name tokens of the image's last path part that pick this entry (`orders-mysql` has `mysql`). */
  tokens: string[];
  /** `server`: listens as `ports` say; `client`: runs its command in the demo image. */
  kind: 'server' | 'client';
  /** Where the real server listens when nothing says otherwise, first the main one. */
  ports: { port: number; protocol: StandinProtocol }[];
}

const server = (name: string, tokens: string[], ports: [number, StandinProtocol][]): CatalogueEntry => ({
  name,
  tokens,
  kind: 'server',
  ports: ports.map(([port, protocol]) => ({ port, protocol })),
});

const client = (name: string, tokens: string[]): CatalogueEntry => ({ name, tokens, kind: 'client', ports: [] });

/**
 * The images support tickets meet most. Ports are the ones each official image listens on by
 * default; protocols the stand-in has no handler for (MongoDB, AMQP, Kafka) are played as TCP
 * echo, which keeps them client-first as they are.
 */
export const CATALOGUE: readonly CatalogueEntry[] = [
  server('mysql', ['mysql', 'percona', 'mysql-server'], [[3306, 'mysql'], [33060, 'tcp']]),
  server('mariadb', ['mariadb'], [[3306, 'mysql']]),
  server('postgres', ['postgres', 'postgresql', 'postgis', 'timescaledb', 'pgvector'], [[5432, 'postgres']]),
  server('pgbouncer', ['pgbouncer'], [[6432, 'postgres']]),
  server('redis', ['redis', 'valkey', 'keydb'], [[6379, 'redis']]),
  server('memcached', ['memcached'], [[11211, 'memcached']]),
  server('mongodb', ['mongo', 'mongodb'], [[27017, 'tcp']]),
  server('rabbitmq', ['rabbitmq'], [[5672, 'tcp'], [15672, 'http']]),
  server('kafka', ['kafka'], [[9092, 'tcp']]),
  server('zookeeper', ['zookeeper'], [[2181, 'tcp']]),
  server('elasticsearch', ['elasticsearch', 'opensearch'], [[9200, 'http'], [9300, 'tcp']]),
  server('nginx', ['nginx', 'openresty'], [[80, 'http']]),
  server('apache httpd', ['httpd', 'apache', 'apache2'], [[80, 'http']]),
  server('caddy', ['caddy'], [[80, 'http']]),
  server('traefik', ['traefik'], [[80, 'http'], [8080, 'http']]),
  server('tomcat', ['tomcat', 'jetty'], [[8080, 'http']]),
  server('httpbin', ['httpbin', 'go-httpbin'], [[80, 'http']]),
  server('prometheus', ['prometheus'], [[9090, 'http']]),
  server('grafana', ['grafana'], [[3000, 'http']]),
  server('vault', ['vault'], [[8200, 'http']]),
  server('consul', ['consul'], [[8500, 'http']]),
  server('keycloak', ['keycloak'], [[8080, 'http']]),
  server('mailhog', ['mailhog', 'mailpit'], [[1025, 'smtp'], [8025, 'http']]),
  server('postfix', ['postfix', 'exim', 'exim4', 'smtp'], [[25, 'smtp']]),
  server('ftp server', ['vsftpd', 'pure-ftpd', 'proftpd', 'ftp'], [[21, 'ftp']]),
  client('curl client', ['curl']),
  client('busybox', ['busybox']),
  client('shell image', ['alpine', 'ubuntu', 'debian', 'centos', 'fedora', 'ubi8', 'ubi9', 'bash']),
  client('network toolbox', ['netshoot', 'network-multitool', 'dnsutils', 'toolbox']),
  client('kubectl', ['kubectl']),
];

/** Istio's protocol from a port name (`http-web`, `grpc`, `tcp-db`, `mysql`), as its port naming rule reads it. */
export const PORT_NAME_PROTOCOLS: Record<string, StandinProtocol> = {
  http: 'http',
  http2: 'http',
  https: 'tcp',
  grpc: 'grpc',
  'grpc-web': 'http',
  mysql: 'mysql',
  redis: 'redis',
  mongo: 'tcp',
  tcp: 'tcp',
  tls: 'tcp',
};

/** Ports whose number alone says the protocol, for images the catalogue does not know. */
export const WELL_KNOWN_PORTS: Record<number, StandinProtocol> = {
  21: 'ftp',
  25: 'smtp',
  587: 'smtp',
  1025: 'smtp',
  3306: 'mysql',
  5432: 'postgres',
  6379: 'redis',
  11211: 'memcached',
};

export interface ImageName {
  /** The last path part without tag or digest: `mysql` in `registry:5000/team/mysql:8.0@sha256:…`. */
  base: string;
  tag?: string;
}

export function parseImageName(image: string): ImageName {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const last = noDigest.slice(slash + 1);
  const colon = last.indexOf(':');
  return colon === -1 ? { base: last.toLowerCase() } : { base: last.slice(0, colon).toLowerCase(), tag: last.slice(colon + 1) };
}

/** The tag as the version a greeting announces: `8.0.36-debian` → `8.0.36`; `latest` → none. */
export function versionOfTag(tag: string | undefined): string | undefined {
  return tag ? /^v?(\d+(?:\.\d+){0,2})/.exec(tag)?.[1] : undefined;
}

/** The entry whose token is the whole base name, else one of its `-`/`_`/`.` parts. */
export function findEntry(image: string): CatalogueEntry | undefined {
  const { base } = parseImageName(image);
  const whole = CATALOGUE.find((e) => e.tokens.includes(base));
  if (whole) return whole;
  const parts = base.split(/[-_.]/);
  return CATALOGUE.find((e) => e.tokens.some((t) => parts.includes(t)));
}

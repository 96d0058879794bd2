// The node container's agent: routing, kube-proxy rules and cluster DNS, reloaded when the lab pushes a new config.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, watchFile, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseNodeConfig, type NodeConfig } from './config';
import { kubeProxyRules } from './kube-proxy';
import { createDnsServer } from './dns/server';

const CONFIG_FILE = '/run/sidecar-lab/node.json';

function log(message: string): void {
  process.stdout.write(`node-agent: ${message}\n`);
}

function applyRules(config: NodeConfig): void {
  const result = spawnSync('iptables-restore', ['-w', '5'], { input: kubeProxyRules(config) });
  if (result.status !== 0) {
    throw new Error(`iptables-restore failed: ${result.stderr.toString().trim()}`);
  }
  const ports = config.services.reduce((n, s) => n + s.ports.length, 0);
  log(`kube-proxy rules for ${config.services.length} services (${ports} ports)`);
}

/** Pods route through the node; nothing may leave the lab's network, so the node has no default route. */
function setUpRouting(): void {
  spawnSync('ip', ['route', 'del', 'default']);
  const routes = execFileSync('ip', ['route']).toString().trim();
  log(`routes: ${routes.replace(/\n/g, '; ')}`);
}

function writeConfig(config: NodeConfig): void {
  mkdirSync(dirname(CONFIG_FILE), { recursive: true });
  writeFileSync(`${CONFIG_FILE}.tmp`, JSON.stringify(config));
  renameSync(`${CONFIG_FILE}.tmp`, CONFIG_FILE);
}

async function daemon(): Promise<void> {
  const initial = process.env['SIDECAR_LAB_NODE_CONFIG'];
  if (!initial) throw new Error('SIDECAR_LAB_NODE_CONFIG is not set');
  let config = parseNodeConfig(initial, 'SIDECAR_LAB_NODE_CONFIG');
  writeConfig(config);
  setUpRouting();
  applyRules(config);
  const dns = await createDnsServer({
    port: 53,
    host: '0.0.0.0',
    domain: config.clusterDomain,
    records: config.dns,
  });
  log(`cluster DNS on ${config.nodeIP}:53 (${Object.keys(config.dns).length} names)`);
  watchFile(CONFIG_FILE, { interval: 200 }, () => {
    try {
      config = parseNodeConfig(readFileSync(CONFIG_FILE, 'utf8'), CONFIG_FILE);
      dns.setRecords(config.dns);
      log(`reloaded: ${Object.keys(config.dns).length} names`);
    } catch (err) {
      log(`reload failed: ${(err as Error).message}`);
    }
  });
  const stop = (): void => {
    void dns.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  log('ready');
}

/** `node-agent apply`: a new config on stdin, applied to the rules now and to DNS by the daemon. */
function apply(): void {
  const config = parseNodeConfig(readFileSync(0, 'utf8'), 'stdin');
  applyRules(config);
  writeConfig(config);
}

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'run';
  if (command === 'run') await daemon();
  else if (command === 'apply') apply();
  else {
    process.stderr.write(`node-agent: unknown command ${command} (run | apply)\n`);
    process.exit(2);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`node-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

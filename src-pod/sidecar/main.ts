// Entry point of the `sidecar` binary in the istio-proxy container: `sidecar [--config FILE] …`.
import { readFile } from 'node:fs/promises';
import { FlagError, lastValue, parseFlags, type FlagSpec } from '../demo/flags';
import { AGENT_ENV_NAMES, type AgentEnv } from './agent/agent-env';
import { parseConfig } from './config';
import { isLevel, Logger, LEVELS } from './logger';
import { loadAddon } from './original-dst/addon';
import { LAB_SOCKET } from './flow-events';
import { Sidecar } from './sidecar';

const SPEC: FlagSpec = {
  config: 'value',
  'admin-port': 'value',
  'admin-address': 'value',
  'outbound-port': 'value',
  'inbound-port': 'value',
  'health-port': 'value',
  'lab-socket': 'value',
  'prometheus-port': 'value',
  'status-port': 'value',
  'interception-mode': 'value',
  'log-level': 'value',
  'drain-duration': 'value',
  help: 'switch',
};

export const USAGE = `usage: sidecar [flags]

The lab's sidecar proxy (Envoy-like, Istio sidecar behaviour). Runs as uid 1337 in the
istio-proxy container; the pod's iptables rules send outbound TCP to 15001, inbound to 15006.

  --config FILE              proxy config JSON (also later: POST /lab/config on 15000 or 15021)
  --admin-port N             Envoy admin port (default 15000)
  --admin-address IP         admin bind address (default 127.0.0.1, as in Istio)
  --outbound-port N          virtualOutbound listener (default 15001)
  --inbound-port N           virtualInbound listener (default 15006)
  --health-port N            /healthz/ready (default 15021)
  --lab-socket PATH          the health port's /lab/* endpoints on a unix socket too (default /tmp/sidecar-lab.sock; "" none)
  --prometheus-port N        /stats/prometheus (default 15090)
  --status-port N            pilot-agent's status port: /healthz/ready, /app-health/…, merged
                             /stats/prometheus, /quitquitquit, /drain (default 15020)
  --interception-mode MODE   REDIRECT (default) or TPROXY
  --log-level LEVEL          ${LEVELS.join('|')} (default info)
  --drain-duration SECONDS   how long SIGTERM waits for open connections (default 5)
  --help                     this text

Environment: SIDECAR_ORIGINAL_DST_ADDON — path of original_dst.node
(default /usr/local/lib/sidecar-lab/original_dst.node); ${AGENT_ENV_NAMES.join(', ')}
as pilot-agent reads them (else the config's proxyEnv).
`;

function port(flags: Map<string, string[]>, name: string, fallback: number): number {
  const text = lastValue(flags, name, String(fallback));
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new FlagError(`--${name}: invalid port ${text}`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  let flags;
  try {
    flags = parseFlags(argv, SPEC);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`sidecar: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (flags.has('help')) {
    process.stdout.write(USAGE);
    return;
  }
  const level = lastValue(flags, 'log-level', 'info');
  const mode = lastValue(flags, 'interception-mode', 'REDIRECT');
  const drain = Number(lastValue(flags, 'drain-duration', '5'));
  if (!isLevel(level)) throw new FlagError(`--log-level: expected one of ${LEVELS.join(', ')}`);
  if (mode !== 'REDIRECT' && mode !== 'TPROXY') throw new FlagError('--interception-mode: REDIRECT or TPROXY');
  if (!Number.isFinite(drain) || drain < 0) throw new FlagError('--drain-duration: seconds, >= 0');

  const logger = new Logger(level);
  const agentEnv: AgentEnv = {};
  for (const name of AGENT_ENV_NAMES) if (process.env[name] !== undefined) agentEnv[name] = process.env[name];
  let stop: (signal: NodeJS.Signals | 'quitquitquit') => void = () => undefined;
  const sidecar = new Sidecar({
    adminPort: port(flags, 'admin-port', 15000),
    adminAddress: lastValue(flags, 'admin-address', '127.0.0.1'),
    outboundPort: port(flags, 'outbound-port', 15001),
    inboundPort: port(flags, 'inbound-port', 15006),
    healthPort: port(flags, 'health-port', 15021),
    prometheusPort: port(flags, 'prometheus-port', 15090),
    agentPort: port(flags, 'status-port', 15020),
    agentEnv,
    interceptionMode: mode,
    labSocket: lastValue(flags, 'lab-socket', LAB_SOCKET) || undefined,
    logger,
    drainMs: drain * 1000,
    onQuit: () => {
      logger.info('sidecar', 'quitquitquit: exiting');
      sidecar.close().then(
        () => process.exit(0),
        () => process.exit(0),
      );
    },
    // The agent's /quitquitquit ends the process as SIGTERM does.
    onShutdown: () => stop('quitquitquit'),
  });
  try {
    loadAddon();
  } catch (err) {
    // Admin and health still come up, so the problem is visible; every redirected connection fails.
    logger.error('sidecar', (err as Error).message);
  }
  const configFile = flags.get('config')?.at(-1);
  if (configFile !== undefined) {
    await sidecar.applyConfig(parseConfig(await readFile(configFile, 'utf8')));
  }
  await sidecar.start();
  if (configFile === undefined) logger.info('sidecar', 'waiting for a config (POST /lab/config)');

  let stopping = false;
  // PID 1 in its container: without handlers, SIGTERM would be ignored.
  stop = (signal) => {
    if (stopping) return;
    stopping = true;
    logger.info('sidecar', `${signal}: draining for up to ${drain}s`);
    sidecar.drain().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`sidecar: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof FlagError ? 2 : 1);
});

// The istio-iptables command as a function: flags in, exit code out (main.ts wires it to the process).
import { ApplyError, applyConfig } from './apply';
import type { Runner } from './apply';
import { IptablesConfigError, configToJson, validateConfig } from './config';
import { fillFromEnvironment, readPodEnvironment } from './environment';
import type { PodEnvironment } from './environment';
import { parseArgs, usage } from './flags';
import { dryRun } from './rules';
import { SaveParseError } from './save-parser';

export interface MainIo {
  out: (s: string) => void;
  err: (s: string) => void;
  env: Record<string, string | undefined>;
  /** Defaults to the real pod environment (interfaces, resolv.conf, passwd). */
  podEnv?: PodEnvironment;
  run?: Runner;
}

/**
 * istio-iptables [flags]: parse, validate, print the "Istio iptables variables" to stderr (stdout stays the
 * golden text in dry-run mode), then print the dry run or apply the rules. Returns the exit code.
 */
export async function main(argv: string[], io: MainIo): Promise<number> {
  try {
    const parsed = parseArgs(argv, io.env);
    if (parsed.help) {
      io.out(usage());
      return 0;
    }
    if (parsed.ignoredJsonKeys.length > 0) {
      io.err(
        `istio-iptables: ignoring keys unknown to this version in ${parsed.configJsonFile}: ${parsed.ignoredJsonKeys.join(', ')}\n`,
      );
    }
    const config = fillFromEnvironment(
      parsed.config,
      parsed.explicit,
      io.podEnv ?? readPodEnvironment(io.env),
    );
    validateConfig(config, parsed.sources);
    io.err(`Istio iptables variables:\n${configToJson(config)}\n`);
    if (
      config.redirectDns &&
      !config.captureAllDns &&
      config.dnsServersV4.length + config.dnsServersV6.length === 0
    ) {
      io.err(
        'REDIRECT_DNS is set, but CAPTURE_ALL_DNS is false, and no DNS servers provided. DNS capture disabled.\n',
      );
    }
    if (config.dryRun) {
      io.err('running iptables in dry-run mode, no rule changes will be made\n');
      io.out(dryRun(config));
      return 0;
    }
    const { finalState } = await applyConfig(config, { run: io.run, log: (l) => io.err(`${l}\n`) });
    if (finalState) io.out(finalState);
    return 0;
  } catch (e) {
    if (
      e instanceof IptablesConfigError ||
      e instanceof ApplyError ||
      e instanceof SaveParseError
    ) {
      io.err(`${e.message}\n`);
      return 1;
    }
    io.err(`istio-iptables: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

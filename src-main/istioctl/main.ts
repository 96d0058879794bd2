// `istioctl …` (also `sidecar-lab istioctl …`): the istioctl commands the lab serves, with istioctl's output and errors.
import { readFileSync } from 'node:fs';
import { CommandParseError, IstioctlError, NotImplementedError } from './errors';
import { proxyConfig, type IstioctlContext } from './proxy-config';
import { versionCommand } from './version';
import { proxyStatus } from './proxy-status';
import { experimental } from './experimental';
import { analyzeCommand } from './analyze/command';
import { kubeInjectCommand } from './kube-inject/command';

const USAGE = `Istio configuration command line utility, as served by Sidecar Lab.

Usage:
  istioctl [command]

Available Commands (in this lab):
  analyze        Analyze Istio configuration and print validation messages (the cluster, or --use-kube=false FILE…)
  experimental   Experimental commands that may be modified or deprecated (x describe pod|service, x precheck)
  kube-inject    Inject Istio sidecar into Kubernetes pod resources (-f FILE, or -f - for stdin)
  proxy-config   Retrieve information about proxy configuration from Envoy (a pod, or -f a config dump)
  proxy-status   Retrieves the synchronization status of each Envoy in the mesh
  version        Prints out build version information

Not yet served here: install and the rest; each says so.
`;

const NOT_YET = new Set([
  'install', 'uninstall', 'upgrade', 'manifest', 'profile',
  'operator', 'verify-install', 'validate', 'dashboard', 'dash', 'd', 'bug-report', 'tag', 'waypoint', 'ztunnel-config',
  'admin', 'create-remote-secret', 'remote-clusters', 'precheck', 'completion', 'authz', 'util',
]);

export interface IstioctlIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function istioctlMain(argv: string[], io: IstioctlIO, cluster: IstioctlContext['cluster']): Promise<number> {
  const ctx: IstioctlContext = { out: io.out, err: io.err, readFile: (p) => readFileSync(p === '-' ? 0 : p, 'utf8'), cluster };
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return 0;
      case 'version':
        return versionCommand(rest, io.out);
      case 'proxy-config':
      case 'pc':
        return await proxyConfig(rest, ctx);
      case 'proxy-status':
      case 'ps':
        return await proxyStatus(rest, ctx);
      case 'experimental':
      case 'x':
      case 'exp':
        return await experimental(rest, ctx);
      case 'analyze':
        return await analyzeCommand(rest, ctx);
      case 'kube-inject':
        return kubeInjectCommand(rest, ctx);
      default:
        if (NOT_YET.has(command)) {
          throw new NotImplementedError(`command "${command}"`);
        }
        throw new IstioctlError(`unknown command "${command}" for "istioctl"`);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.err(`Error: ${message}\n`);
    if (err instanceof CommandParseError) io.err(`Run 'istioctl --help' for usage.\n`);
    return err instanceof IstioctlError ? err.exitCode : 1;
  }
}

// `istioctl version`: the Istio release whose istioctl output this lab reproduces, and that it is the lab's.
import { flagBool, flagString, parseFlags } from './flags';
import { GLOBAL_FLAGS } from './global-flags';
import { IstioctlError } from './errors';

/** The istioctl whose writers (istioctl/pkg/writer/envoy/configdump) these commands follow. */
export const ISTIO_VERSION = '1.22.0';

/** istio.io/pkg/version BuildInfo of the lab's istioctl and of its stand-in for istiod. */
export const BUILD_INFO = { version: ISTIO_VERSION, revision: 'sidecar-lab', golang_version: '', status: 'Clean', tag: ISTIO_VERSION };

export function versionCommand(args: string[], out: (text: string) => void): number {
  const p = parseFlags(args, [
    ...GLOBAL_FLAGS,
    { name: 'remote', kind: 'bool' },
    { name: 'short', short: 's', kind: 'bool' },
    { name: 'output', short: 'o', kind: 'string' },
  ]);
  const format = flagString(p, 'output');
  if (format === 'json' || format === 'yaml') {
    const info = { clientVersion: BUILD_INFO };
    out(format === 'json' ? `${JSON.stringify(info, null, 2)}\n` : `clientVersion:\n  golang_version: ""\n  revision: sidecar-lab\n  status: Clean\n  tag: ${ISTIO_VERSION}\n  version: ${ISTIO_VERSION}\n`);
    return 0;
  }
  if (format !== '') throw new IstioctlError(`--output must be 'yaml' or 'json'`);
  if (!flagBool(p, 'remote', true)) {
    out(`${ISTIO_VERSION}\n`);
    return 0;
  }
  // No control plane answers yet: the lab's proxies are configured by the lab itself.
  out(`client version: ${ISTIO_VERSION} (sidecar-lab)\ncontrol plane version: none (the lab configures its proxies itself)\n`);
  return 0;
}

// `sidecar-lab istioctl …` on the host: istioctl's bytes straight to stdout/stderr, pods reached through the running lab.
import { istioctlMain, type IstioctlIO } from './main';
import { labProxyAdmin } from './lab-admin';

/** `io`: where the bytes go instead of stdout/stderr (a caller of the CLI's main that captures them). */
export function runIstioctl(argv: string[], io?: IstioctlIO): Promise<number> {
  return istioctlMain(
    argv,
    io ?? { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) },
    () => labProxyAdmin(process.env.SIDECAR_LAB_LAB),
  );
}

// `sidecar-lab istioctl …` on the host: istioctl's bytes straight to stdout/stderr, pods reached through the running lab.
import { istioctlMain } from './main';
import { labProxyAdmin } from './lab-admin';

export function runIstioctl(argv: string[]): Promise<number> {
  return istioctlMain(
    argv,
    { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) },
    () => labProxyAdmin(process.env.SIDECAR_LAB_LAB),
  );
}

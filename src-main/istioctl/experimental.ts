// `istioctl experimental` (x): the sub-commands the lab serves (describe pod|service, precheck), the rest named as not served.
import { IstioctlError, NotImplementedError } from './errors';
import { describePod } from './describe/pod';
import { describeService } from './describe/service';
import { precheckCommand } from './precheck/command';
import type { IstioctlContext } from './proxy-config';

const DESCRIBE_USAGE = `Describe resource and related Istio configuration

Usage:
  istioctl experimental describe [command]

Aliases:
  describe, des

Available Commands (in this lab):
  pod         Describe pods and their Istio configuration [kube-only]
  service     Describe services and their Istio configuration [kube-only]
`;

export async function experimental(args: string[], ctx: IstioctlContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'describe' || sub === 'des') {
    const [kind, ...more] = rest;
    if (kind === undefined || kind === '--help' || kind === '-h') {
      ctx.out(DESCRIBE_USAGE);
      return 0;
    }
    if (kind === 'pod' || kind === 'po') return describePod(more, ctx);
    if (kind === 'service' || kind === 'svc') return describeService(more, ctx);
    throw new IstioctlError(`unknown resource type "${kind}"`);
  }
  if (sub === 'precheck') return precheckCommand(rest, ctx);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    ctx.out('Usage:\n  istioctl experimental [command]\n\nAvailable Commands (in this lab):\n  describe    Describe resource and related Istio configuration\n  precheck    Check whether Istio can safely be installed or upgrade (the data-plane check: IST0143)\n');
    return 0;
  }
  throw new NotImplementedError(`command "experimental ${sub}"`);
}

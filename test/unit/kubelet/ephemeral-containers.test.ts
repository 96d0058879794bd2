// What the kubelet gives an ephemeral container on the engine: user and capabilities from its securityContext (the pod's filling in), and what runs in it.
import { describe, expect, it } from 'vitest';
import { processOf, securityOf } from '../../../src-main/lab/kubelet/ephemeral-containers';

describe('securityOf', () => {
  it("kubectl 1.20's debug container: no securityContext, the image's user and the runtime's default capabilities", () => {
    expect(securityOf({}, { name: 'debugger-x', image: 'busybox' })).toEqual({ host: {} });
  });

  it("--profile=netadmin (kubectl 1.27+) adds NET_ADMIN and NET_RAW; sysadmin is privileged", () => {
    expect(securityOf({}, { securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } } }).host).toEqual({ CapAdd: ['NET_ADMIN', 'NET_RAW'] });
    expect(securityOf({}, { securityContext: { privileged: true } }).host).toEqual({ Privileged: true });
  });

  it("the pod's runAsUser and runAsGroup apply unless the container sets its own; drops and no-new-privileges follow", () => {
    const pod = { securityContext: { runAsUser: 1000, runAsGroup: 3000 } };
    expect(securityOf(pod, {}).user).toBe('1000:3000');
    expect(securityOf(pod, { securityContext: { runAsUser: 0 } }).user).toBe('0:3000');
    expect(securityOf({}, { securityContext: { runAsUser: 1337, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } })).toEqual({
      user: '1337',
      host: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
    });
  });
});

describe('processOf', () => {
  it("the image's own entrypoint unless the container names a command or args", () => {
    expect(processOf({}, false)).toEqual({});
    expect(processOf({ command: ['tcpdump'], args: ['-i', 'any'] }, false)).toEqual({ Entrypoint: ['tcpdump'], Cmd: ['-i', 'any'] });
  });

  it('a shell in the debug image that stands in for an absent one, or the command asked for', () => {
    expect(processOf({}, true)).toEqual({ Entrypoint: ['sh'], Cmd: [] });
    expect(processOf({ command: ['curl', 'localhost:15000/ready'] }, true)).toEqual({ Entrypoint: ['curl', 'localhost:15000/ready'], Cmd: [] });
  });
});

// One pod as Docker containers sharing the pause container's network namespace, started in Kubernetes' order.
import type Docker from 'dockerode';
import { LABELS } from '../docker/engine';
import type { ImageSet } from '../images/build';
import { tarOf } from '../docker/tar';
import { containerLogs, execIn, inspectIfPresent, runToCompletion, startContainer } from './docker-ops';
import { runInitContainers } from './init-containers';
import { runInitStep, runKubeletInits } from './kubelet-inits';
import { containerName } from '../plan/names';
import { SERVICE_ACCOUNT_MOUNT, TERMINAL_CONFIG_MOUNT } from '../api/pod-credentials';
import type { AppRun, InitStuck, PodContainerRole, PodRun } from './pod-run';
import { labNetworkName as networkName } from '../plan/names';

export { containerName };

/** On istio-proxy when it runs as a Kubernetes native sidecar (an init container with restartPolicy Always). */
export const NATIVE_SIDECAR_LABEL = `${LABELS.container}.restart-policy-always`;

const PROXY_CONFIG_DIR = '/etc/sidecar-lab';
const PROXY_CONFIG_FILE = 'proxy-config.json';
const PROXY_READY_URL = 'http://127.0.0.1:15021/healthz/ready';

/** The init container Istio's injection adds in CNI mode (the rules are the CNI plugin's): the lab's rules run under its name. */
export const CNI_VALIDATION = 'istio-validation';

/** The pause loop: PID 1 that holds the namespace and exits promptly on SIGTERM. */
const PAUSE_CMD = ['sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];

/**
 * What a CNI plugin and kubelet do for a pod: route everything through the node (pods reach
 * ClusterIPs only there), drop the engine's own DNS rules so the pod's tables hold only what
 * istio-init writes, and write the resolv.conf and hosts file that kubelet would.
 */
const shellQuote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;

export function cniScript(nodeIP: string, resolvConf: string, etcHosts: string): string {
  return [
    'set -e',
    'ip route del 10.0.0.0/8 dev eth0 2>/dev/null || true',
    `ip route replace ${nodeIP} dev eth0 scope link`,
    `ip route replace default via ${nodeIP} dev eth0`,
    'iptables-nft -t nat -F',
    'iptables-nft -t nat -X',
    `printf '%s' ${shellQuote(resolvConf)} > /etc/resolv.conf`,
    `printf '%s' ${shellQuote(etcHosts)} > /etc/hosts`,
  ].join('\n');
}

/** kubelet's service-account volume, read-only in every app container. */
function serviceAccountBinds(pod: PodRun): string[] {
  return pod.serviceAccountDir ? [`${pod.serviceAccountDir}:${SERVICE_ACCOUNT_MOUNT}:ro`] : [];
}

export interface PodStarterOptions {
  /**
   * The kubelet's way: a failed init container (istio-init included) stops the start at once and
   * is kept, for the kubelet to restart with its back-off and `resume`; no retries in here.
   */
  kubelet?: boolean;
}

export class PodStarter {
  constructor(
    private readonly docker: Docker,
    private readonly images: ImageSet,
    private readonly labLabels: Record<string, string>,
    private readonly opts: PodStarterOptions = {},
  ) {}

  /**
   * Goes on with a pod whose start stopped at a failed init container: that container runs again,
   * the steps already done are skipped, and the rest starts in order (the kubelet's restart of an
   * init container; pause, and so the network namespace, stay).
   */
  async resume(pod: PodRun, log: (message: string) => void): Promise<InitStuck | undefined> {
    return this.startContainers(pod, containerName(pod.lab, pod.namespace, pod.name, 'pause'), log, true);
  }

  private labels(pod: PodRun, container: string, role: PodContainerRole): Record<string, string> {
    return {
      ...this.labLabels,
      [LABELS.namespace]: pod.namespace,
      [LABELS.pod]: pod.name,
      [LABELS.container]: container,
      [LABELS.role]: role,
    };
  }

  private joined(pod: PodRun, pause: string): Docker.HostConfig {
    return { NetworkMode: `container:${pause}` };
  }

  /** Starts the pod; an init container that keeps failing stops it there, as kubelet does. */
  async start(pod: PodRun, log: (message: string) => void): Promise<InitStuck | undefined> {
    const name = (c: string): string => containerName(pod.lab, pod.namespace, pod.name, c);
    const pause = name('pause');
    await startContainer(this.docker, {
      name: pause,
      Image: this.images.runtime,
      Cmd: PAUSE_CMD,
      Hostname: pod.name,
      Labels: {
        ...this.labels(pod, 'pause', 'pause'),
        [`${LABELS.pod}.ip`]: pod.ip,
        // Which pod object the containers run: a pod deleted and created again under its name is another pod.
        [`${LABELS.pod}.uid`]: pod.uid,
        [`${LABELS.pod}.labels`]: JSON.stringify(pod.podLabels),
        [`${LABELS.pod}.sidecar`]: pod.sidecar ? 'true' : 'false',
      },
      HostConfig: { NetworkMode: networkName(pod.lab) },
      NetworkingConfig: {
        EndpointsConfig: { [networkName(pod.lab)]: { IPAMConfig: { IPv4Address: pod.ip } } },
      },
    });

    const cni = await startContainer(this.docker, {
      name: name('cni'),
      Image: this.images.runtime,
      Cmd: ['sh', '-c', cniScript(pod.nodeIP, pod.resolvConf, pod.etcHosts)],
      Labels: this.labels(pod, 'cni', 'cni'),
      HostConfig: { ...this.joined(pod, pause), CapAdd: ['NET_ADMIN', 'NET_RAW'] },
    });
    try {
      await runToCompletion(cni, `network setup of pod ${pod.namespace}/${pod.name}`);
    } finally {
      await cni.remove({ force: true });
    }

    const stuck = await this.startContainers(pod, pause, log);
    // The lab's instrument joins even a pod stuck in its init phase: its rules are there to see.
    if (pod.sidecar) {
      await startContainer(this.docker, {
        name: name('tap'),
        Image: this.images.tap,
        User: '0:0',
        Cmd: PAUSE_CMD,
        Labels: this.labels(pod, 'tap', 'tap'),
        HostConfig: {
          ...this.joined(pod, pause),
          CapAdd: ['NET_ADMIN', 'NET_RAW'],
          Binds: [...serviceAccountBinds(pod), ...(pod.terminalDir ? [`${pod.terminalDir}:${TERMINAL_CONFIG_MOUNT}:ro`] : [])],
        },
      });
    }
    return stuck;
  }

  /** Init containers, istio-init, istio-proxy and the apps, in the order Istio's injection gives them. */
  private async startContainers(pod: PodRun, pause: string, log: (message: string) => void, resumed = false): Promise<InitStuck | undefined> {
    const inits = (): Promise<InitStuck | undefined> =>
      this.opts.kubelet
        ? runKubeletInits(this.docker, pod, (app) => this.createApp(pod, pause, app, 'init'), log)
        : runInitContainers(pod.inits, (app) => this.createApp(pod, pause, app, 'init'), `${pod.namespace}/${pod.name}`, log);
    // istio-cni wrote the rules when the pod first started; a resumed start leaves them.
    if (pod.init && pod.rulesBeforeInits && !resumed) await this.applyRules(pod, pause, 'cni', log);
    if (!pod.initsAfterProxy) {
      const stuck = await inits();
      if (stuck) return stuck;
    }
    if (pod.init && !pod.rulesBeforeInits) {
      const stuck = await this.applyRules(pod, pause, 'istio-init', log);
      if (stuck) return stuck;
    }

    const proxy = pod.sidecar ? () => this.startProxy(pod, pause) : undefined;
    // A native sidecar starts (and is ready) before the next init container, as kubelet does.
    // holdApplicationUntilProxyStarts: the apps wait for the proxy's readiness, as in Istio.
    const proxyFirst = pod.initsAfterProxy || pod.holdApplicationUntilProxyStarts;
    if (proxy && proxyFirst) await proxy();
    if (pod.initsAfterProxy) {
      const stuck = await inits();
      if (stuck) return stuck;
    }

    for (const app of pod.apps) {
      if (await inspectIfPresent(this.docker, containerName(pod.lab, pod.namespace, pod.name, app.name))) continue;
      const container = await this.createApp(pod, pause, app, 'app');
      await container.start();
    }
    if (proxy && !proxyFirst) await proxy();
    return undefined;
  }

  /**
   * istio-iptables with the pod's arguments: as the istio-init container, or as istio-cni does it
   * from the node. Either is kept, for its log and the pod's status: under Istio CNI it stands as
   * the spec's `istio-validation` init container (the check that the CNI plugin's rules are there),
   * so the pod's status lists that init container as completed, as on a cluster.
   */
  private async applyRules(pod: PodRun, pause: string, as: 'istio-init' | 'cni', log: (message: string) => void): Promise<InitStuck | undefined> {
    if (!pod.init) return undefined;
    const specName = as === 'cni' ? CNI_VALIDATION : 'istio-init';
    const dockerName = containerName(pod.lab, pod.namespace, pod.name, specName);
    const options: Docker.ContainerCreateOptions = {
      name: dockerName,
      Image: this.images.proxy,
      User: '0:0',
      Cmd: ['istio-iptables', ...pod.init.args],
      Env: Object.entries(pod.init.env).map(([k, v]) => `${k}=${v}`),
      Labels: this.labels(pod, specName, 'istio-init'),
      HostConfig: { ...this.joined(pod, pause), CapAdd: ['NET_ADMIN', 'NET_RAW'] },
    };
    const what = as === 'cni' ? 'istio-cni' : 'istio-init';
    if (as === 'istio-init' && this.opts.kubelet) {
      const run = await runInitStep(this.docker, dockerName, () => this.docker.createContainer(options));
      if (!run) return undefined;
      if (run.exitCode !== 0) {
        // Logged at its first failure; a rerun at a resumed start that fails again is not.
        if (!run.again) log(`${pod.namespace}/${pod.name}: istio-init exited ${run.exitCode}: Init:Error (logs -c istio-init)`);
        return { container: 'istio-init', exitCode: run.exitCode };
      }
    } else {
      // Kubernetes keeps a finished init container; so does the lab, for its logs.
      await runToCompletion(await startContainer(this.docker, options), `${what} of pod ${pod.namespace}/${pod.name}`);
    }
    log(`${pod.namespace}/${pod.name}: ${what} applied the rules${as === 'cni' ? ' before the init containers' : ''}`);
    return undefined;
  }

  private createApp(pod: PodRun, pause: string, app: AppRun, role: 'app' | 'init'): Promise<Docker.Container> {
    return this.docker.createContainer({
      name: containerName(pod.lab, pod.namespace, pod.name, app.name),
      Image: app.image,
      Entrypoint: app.entrypoint,
      Cmd: app.cmd,
      Env: Object.entries(app.env).map(([k, v]) => `${k}=${v}`),
      User: app.user,
      Labels: {
        ...this.labels(pod, app.name, role),
        ...(app.replacedImage ? { [`${LABELS.container}.replaces`]: app.replacedImage } : {}),
      },
      HostConfig: { ...this.joined(pod, pause), Binds: serviceAccountBinds(pod), ...(app.groupAdd ? { GroupAdd: app.groupAdd } : {}) },
    });
  }

  private async startProxy(pod: PodRun, pause: string): Promise<void> {
    const dockerName = containerName(pod.lab, pod.namespace, pod.name, 'istio-proxy');
    // A resumed start finds the native sidecar already running.
    if (await inspectIfPresent(this.docker, dockerName)) return;
    const container = await this.docker.createContainer({
      name: dockerName,
      Image: this.images.proxy,
      User: '1337:1337',
      Cmd: [
        'sidecar',
        '--config',
        `${PROXY_CONFIG_DIR}/${PROXY_CONFIG_FILE}`,
        '--interception-mode',
        pod.interceptionMode ?? 'REDIRECT',
      ],
      Labels: {
        ...this.labels(pod, 'istio-proxy', 'istio-proxy'),
        // A native sidecar: kubelet stops it only after the app containers (see terminatePod).
        ...(pod.initsAfterProxy ? { [NATIVE_SIDECAR_LABEL]: 'true' } : {}),
      },
      // Istio's securityContext: privileged and allowPrivilegeEscalation both follow the value.
      HostConfig: pod.proxyPrivileged
        ? { ...this.joined(pod, pause), Privileged: true }
        : { ...this.joined(pod, pause), SecurityOpt: ['no-new-privileges'] },
    });
    // The first configuration is in place before the proxy starts, as Envoy's bootstrap is.
    await container.putArchive(tarOf(new Map([[PROXY_CONFIG_FILE, Buffer.from(pod.proxyConfig ?? '{}')]])), {
      path: PROXY_CONFIG_DIR,
    });
    await container.start();
    await this.waitProxyReady(container, `${pod.namespace}/${pod.name}`, 30_000);
  }

  /** The pod's readiness waits for the sidecar's 15021, as Istio's readiness probe does. */
  private async waitProxyReady(container: Docker.Container, pod: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const probe = await execIn(this.docker, container, ['curl', '-sf', '-o', '/dev/null', PROXY_READY_URL]).catch(
        () => undefined,
      );
      if (probe?.exitCode === 0) return;
      const info = await container.inspect();
      if (!info.State.Running || Date.now() > deadline) {
        const logs = await containerLogs(container, 40);
        throw new Error(`istio-proxy of pod ${pod} did not become ready (${PROXY_READY_URL}):\n${logs.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ready: the app's declared ports are listening in the pod's namespace (seen from pause). */
  async waitReady(pod: PodRun, timeoutMs: number, opts: { exitedFails?: boolean } = {}): Promise<void> {
    const pause = this.docker.getContainer(containerName(pod.lab, pod.namespace, pod.name, 'pause'));
    const wanted = pod.apps.flatMap((a) => a.ports);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = await this.missingListeners(pause, wanted);
      const exited = await this.exitedApps(pod);
      // The kubelet restarts an exited app itself: its start is done.
      if (exited.length > 0 && opts.exitedFails === false) return;
      if (exited.length > 0) {
        throw new Error(`pod ${pod.namespace}/${pod.name}: container ${exited.join(', ')} exited`);
      }
      if (missing.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `pod ${pod.namespace}/${pod.name} not ready after ${timeoutMs / 1000} s: nothing listens on port ${missing.join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async missingListeners(pause: Docker.Container, ports: number[]): Promise<number[]> {
    if (ports.length === 0) return [];
    const result = await execIn(this.docker, pause, ['ss', '-Hltnu']);
    const listening = new Set(
      result.stdout
        .split('\n')
        .map((line) => /:(\d+)\s/.exec(line.split(/\s+/).slice(4, 5).join(' ') + ' ')?.[1])
        .filter((p): p is string => Boolean(p))
        .map(Number),
    );
    return ports.filter((p) => !listening.has(p));
  }

  private async exitedApps(pod: PodRun): Promise<string[]> {
    const exited: string[] = [];
    for (const app of pod.apps) {
      const info = await this.docker
        .getContainer(containerName(pod.lab, pod.namespace, pod.name, app.name))
        .inspect();
      if (!info.State.Running) exited.push(`${app.name} (exit code ${info.State.ExitCode})`);
    }
    return exited;
  }
}

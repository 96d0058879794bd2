// The kubelet's ephemeral containers: one added through pods/ephemeralcontainers starts in the pod's network namespace (and its target's PID namespace), once, with its securityContext; an image not on the machine gets the lab's debug image.
import type Docker from 'dockerode';
import { K } from '../api/kinds';
import { isRecord, type KubeObject } from '../api/objects';
import { podEvent, recordEvent } from '../api/pod-events';
import { TAP } from '../api/seed-workloads';
import type { ObjectStore, StoreEvent } from '../api/store';
import { LABELS } from '../docker/engine';
import { containerName } from '../plan/names';
import { readLabRecord } from '../runtime/lab';

export interface EphemeralOptions {
  docker: Docker;
  lab: string;
  store: ObjectStore;
  node: () => string;
  log: (message: string) => void;
  /** Asks for the pods' status to be read again, so the container shows running at once. */
  resync: () => void;
  /**
   * Whether the engine's containers of the pod are this pod object's, started (or adopted) and not
   * ending: the kubelet knows it. The sandbox's uid label cannot say: the pods `up` started carry the
   * plan's uid, not the one the API gave the object.
   */
  owns: (pod: KubeObject) => boolean;
}

type Container = Record<string, unknown>;

const list = (value: unknown): Container[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const rec = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const strings = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.map(String) : undefined);

/** The label that marks an ephemeral container on the engine (its role). */
export const EPHEMERAL_ROLE = 'ephemeral';

/** The lab's own tap, started with the pod by the pod starter, is not the kubelet's to start. */
const isLabTap = (c: Container): boolean => c.name === TAP.name && c.image === TAP.image;

/**
 * The engine's user, capabilities and privileges for a container's securityContext, the pod's
 * securityContext filling in runAsUser and runAsGroup, as the kubelet's runtime does.
 */
export function securityOf(podSpec: Record<string, unknown>, c: Container): { user?: string; host: Docker.HostConfig } {
  const own = rec(c.securityContext);
  const pod = rec(podSpec.securityContext);
  const uid = own.runAsUser ?? pod.runAsUser;
  const gid = own.runAsGroup ?? pod.runAsGroup;
  const caps = rec(own.capabilities);
  const host: Docker.HostConfig = {};
  if (strings(caps.add)?.length) host.CapAdd = strings(caps.add);
  if (strings(caps.drop)?.length) host.CapDrop = strings(caps.drop);
  if (own.privileged === true) host.Privileged = true;
  if (own.readOnlyRootFilesystem === true) host.ReadonlyRootfs = true;
  if (own.allowPrivilegeEscalation === false) host.SecurityOpt = ['no-new-privileges'];
  const user = uid === undefined ? undefined : gid === undefined ? String(uid) : `${String(uid)}:${String(gid)}`;
  return { ...(user !== undefined ? { user } : {}), host };
}

/** What runs: the image's own entrypoint unless the container names a command; in the debug image a shell. */
export function processOf(c: Container, standIn: boolean): { Entrypoint?: string[]; Cmd?: string[] } {
  const command = strings(c.command);
  const args = strings(c.args);
  if (standIn) return { Entrypoint: command ?? ['sh'], Cmd: args ?? [] };
  return { ...(command ? { Entrypoint: command } : {}), ...(args ? { Cmd: args } : {}) };
}

export class EphemeralContainers {
  /** `uid/name` of the ephemeral containers started (or tried): they are never started again. */
  private readonly done = new Set<string>();
  private readonly busy = new Set<string>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: EphemeralOptions) {}

  start(): void {
    this.unsubscribe = this.opts.store.subscribe((event: StoreEvent) => {
      if (event.resource !== `${K.pods.group}/${K.pods.resource}` || event.type === 'DELETED') return;
      this.sync(event.object);
    });
    for (const pod of this.opts.store.list(K.pods)) this.sync(pod);
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Starts the pod's ephemeral containers that have not run yet, once the pod runs. */
  sync(pod: KubeObject): void {
    const uid = pod.metadata.uid ?? '';
    if (pod.metadata.deletionTimestamp || rec(pod.status).phase !== 'Running') return;
    for (const c of list(rec(pod.spec).ephemeralContainers)) {
      const id = `${uid}/${String(c.name)}`;
      if (isLabTap(c) || this.done.has(id) || this.busy.has(id)) continue;
      this.busy.add(id);
      void this.startOne(pod, c)
        .then((started) => {
          if (started) this.done.add(id);
        })
        .catch((err: unknown) => {
          this.done.add(id);
          const message = err instanceof Error ? err.message : String(err);
          this.opts.log(`kubelet: ephemeral container ${String(c.name)} of pod ${pod.metadata.namespace}/${pod.metadata.name}: ${message}`);
          this.event(pod, c, 'Failed', `Error: ${message}`, 'Warning');
        })
        .finally(() => this.busy.delete(id));
    }
  }

  private event(pod: KubeObject, c: Container, reason: string, message: string, type = 'Normal'): void {
    recordEvent(this.opts.store, podEvent(pod, this.opts.node(), { reason, message, type, fieldPath: `spec.ephemeralContainers{${String(c.name)}}` }));
  }

  /** Creates and starts the container; false when the pod's containers are not there to join yet. */
  private async startOne(pod: KubeObject, c: Container): Promise<boolean> {
    const { docker, lab } = this.opts;
    const ns = pod.metadata.namespace ?? 'default';
    const name = (container: string): string => containerName(lab, ns, pod.metadata.name, container);
    // Not yet started, still starting, or the containers of an earlier pod of the same name.
    if (!this.opts.owns(pod)) return false;
    const pause = await docker.getContainer(name('pause')).inspect().catch(() => undefined);
    if (!pause?.State.Running) return false;
    // Started before (a host started again): the engine remembers it.
    if (await docker.getContainer(name(String(c.name))).inspect().then(() => true, () => false)) return true;
    const target = typeof c.targetContainerName === 'string' && c.targetContainerName ? c.targetContainerName : undefined;
    if (target && !(await docker.getContainer(name(target)).inspect().catch(() => undefined))?.State.Running) return false;
    const record = readLabRecord(lab);
    const debugImage = record?.run.images?.tap;
    if (!record || !debugImage) throw new Error('the lab record names no debug image: `sidecar-lab down` and `up` again');
    const image = String(c.image);
    const present = await docker.getImage(image).inspect().then(() => true, () => false);
    if (present) this.event(pod, c, 'Pulled', `Container image "${image}" already present on machine`);
    else {
      this.event(pod, c, 'Pulled', `Container image "${image}" is not on this machine and the lab pulls from no registry: the lab's debug image (${debugImage}: shell, curl, iptables, tcpdump) stands in`);
    }
    const security = securityOf(rec(pod.spec), c);
    const env = list(c.env)
      .filter((e) => typeof e.value === 'string' || e.value === undefined)
      .map((e) => `${String(e.name)}=${typeof e.value === 'string' ? e.value : ''}`);
    const container = await docker.createContainer({
      name: name(String(c.name)),
      Image: present ? image : debugImage,
      ...processOf(c, !present),
      Env: env,
      ...(typeof c.workingDir === 'string' && c.workingDir ? { WorkingDir: c.workingDir } : {}),
      ...(security.user !== undefined ? { User: security.user } : {}),
      Tty: c.tty === true,
      OpenStdin: c.stdin === true,
      StdinOnce: c.stdinOnce === true,
      Labels: {
        [LABELS.lab]: lab,
        [LABELS.owner]: String(record.ownerPid),
        [LABELS.namespace]: ns,
        [LABELS.pod]: pod.metadata.name,
        [LABELS.container]: String(c.name),
        [LABELS.role]: EPHEMERAL_ROLE,
        ...(present ? {} : { [`${LABELS.container}.replaces`]: image }),
      },
      HostConfig: {
        ...security.host,
        NetworkMode: `container:${name('pause')}`,
        // kubectl debug --target: the target container's processes are in view, as with Kubernetes' targeted namespace.
        ...(target ? { PidMode: `container:${name(target)}` } : {}),
      },
    });
    await container.start();
    this.opts.log(`kubelet: started ephemeral container ${String(c.name)} in pod ${ns}/${pod.metadata.name}${target ? ` (target ${target})` : ''}${present ? '' : ` in the lab's debug image for ${image}`}`);
    this.opts.resync();
    return true;
  }
}

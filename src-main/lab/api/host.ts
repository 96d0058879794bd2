// The process side of a lab's Kubernetes API: loads or seeds the objects, keeps pods' status true to the containers, serves HTTPS on loopback, writes the kubeconfig.
import { createServer, type Server } from 'node:https';
import { writeFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { LABELS } from '../docker/engine';
import { readLabRecord } from '../runtime/lab';
import { prepareLab } from '../session/prepare';
import type { Identity } from './admission';
import { apiPaths, readApiEndpoint, writeApiEndpoint } from './host-state';
import { K } from './kinds';
import { kubeconfigText } from './kubeconfig';
import { labAdmission } from './lab-admission';
import { labWrites } from './lab-writes';
import { podAdmission } from './pod-admission';
import { serviceAdmission } from './service-admission';
import { Kubelet } from '../kubelet/kubelet';
import { apiPodClient, startWorkloadControllers, type WorkloadControllers } from './controllers';
import { loadOrCreatePki } from './pki';
import { API_SERVER_IPS } from './pod-credentials';
import { LAB_GATEWAY } from '../plan/network';
import { containerFacts, podStatus } from './pod-status';
import { runtimeStreams } from './pod-streams';
import { namespaceLifecycle } from './namespace-lifecycle';
import { seedStore } from './seed';
import { KubeApiServer } from './server';
import { ObjectStore } from './store';
import { podStatusEvents } from './pod-events';
import { labPodEvents } from './lab-events';
import { syncWorkloadStatus } from './workload-status';
import { TokenAuthority } from './tokens';
import { DEFAULT_KUBERNETES_VERSION } from './discovery';
import { isRecord } from './objects';

export interface ApiHostOptions {
  docker: Docker;
  lab: string;
  log?: (message: string) => void;
  /** This process is `sidecar-lab host`, left running by `up` until `down`. */
  detached?: boolean;
}

export class LabApiHost {
  private server: Server | undefined;
  private inCluster: Server | undefined;
  private stopEvents: (() => void) | undefined;
  private kubelet: Kubelet | undefined;
  private controllers: WorkloadControllers | undefined;
  private syncing = Promise.resolve();
  readonly store: ObjectStore;
  private tokens!: TokenAuthority;
  endpoint = '';
  private nodeName = 'node';

  private constructor(private readonly opts: ApiHostOptions) {
    this.store = new ObjectStore(apiPaths(opts.lab).objects);
  }

  /** Loads the lab's objects (seeding them on first start), syncs pods, listens; resolves once served. */
  static async start(opts: ApiHostOptions): Promise<LabApiHost> {
    const host = new LabApiHost(opts);
    await host.open();
    return host;
  }

  private log(message: string): void {
    this.opts.log?.(message);
  }

  private async open(): Promise<void> {
    const { lab, docker } = this.opts;
    const record = readLabRecord(lab);
    if (!record?.ready) throw new Error(`lab ${lab} is not up: its Kubernetes API has nothing to serve`);
    const paths = apiPaths(lab);
    const pki = await loadOrCreatePki(paths.pki, API_SERVER_IPS);
    this.tokens = TokenAuthority.loadOrCreate(paths.tokens);
    let version: string;
    if (this.store.list(K.namespaces).length === 0) {
      const prepared = await prepareLab(record.run.scenario, record.run.applied ?? []);
      version = prepared.plan.kubernetesVersion;
      seedStore(this.store, { prepared, documents: prepared.documents, caCert: pki.caCert, kubernetesVersion: version, now: new Date(record.startedAt) });
      this.log(`seeded ${this.store.resourceVersion} objects from ${record.run.scenario}`);
    } else {
      // A cluster keeps its release across restarts of its API server: the node's kubelet says which.
      version = storedKubernetesVersion(this.store) ?? DEFAULT_KUBERNETES_VERSION;
      this.log(`resumed with the objects kept in ${paths.objects}`);
    }
    this.nodeName = this.store.list(K.nodes)[0]?.metadata.name ?? 'node';
    await this.syncPods();
    this.stopEvents = await this.followEngine();
    // Pods written through the API run, and go, as on a node; Services follow the ready pods.
    this.kubelet = new Kubelet({ docker, lab, store: this.store, log: (m) => this.log(m), nodeName: () => this.nodeName, resync: () => void this.syncPods() });
    await this.kubelet.start();
    // The kubelet sees the containers once as it finds them: what exited before it ran (an init container `up` left failed) is restarted.
    await this.syncPods();
    // Deployments → ReplicaSets → Pods, created through the same admission as a user's pods.
    const admission = [namespaceLifecycle(this.store), podAdmission(this.store), serviceAdmission(this.store), labAdmission, labWrites];
    this.controllers = startWorkloadControllers(this.store, apiPodClient({ store: this.store, admission }), (m) => this.log(m));

    const streams = runtimeStreams({ docker, lab, historyOf: (pod, name) => this.kubelet?.historyOf(pod, name) });
    // The port is kept across restarts of the host, so kubeconfigs already written stay valid.
    const previous = readApiEndpoint(lab)?.port ?? 0;
    const holder: { api?: KubeApiServer } = {};
    const server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => holder.api!.handle(req, res));
    server.on('upgrade', (req, socket, head) => holder.api!.upgrade(req, socket, head));
    const port = await listen(server, previous).catch(() => listen(server, 0));
    holder.api = new KubeApiServer({
      store: this.store,
      authenticate: (token) => this.authenticate(token),
      admission,
      kubernetesVersion: () => version,
      serverAddress: `127.0.0.1:${port}`,
      pods: streams,
    });
    this.server = server;
    // The pods reach the API as kubernetes.default.svc: the kube-apiserver stand-in relays to the
    // host on the lab's gateway, the one host address on the lab's internal network.
    const inCluster = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => holder.api!.handle(req, res));
    inCluster.on('upgrade', (req, socket, head) => holder.api!.upgrade(req, socket, head));
    await listenOn(inCluster, LAB_GATEWAY, IN_CLUSTER_PORT).then(
      () => (this.inCluster = inCluster),
      (err: unknown) => this.log(`pods cannot reach the API: ${LAB_GATEWAY}:${IN_CLUSTER_PORT}: ${err instanceof Error ? err.message : String(err)}`),
    );
    this.endpoint = `https://127.0.0.1:${port}`;
    writeFileSync(paths.kubeconfig, kubeconfigText({ lab, server: this.endpoint, caCert: pki.caCert, token: this.tokens.adminToken }), { mode: 0o600 });
    writeApiEndpoint(lab, { pid: process.pid, server: this.endpoint, port, startedAt: new Date().toISOString(), detached: this.opts.detached ?? false });
    this.log(`serving the Kubernetes API at ${this.endpoint}`);
  }

  private authenticate(token: string): Identity | undefined {
    return this.tokens.authenticate(token);
  }

  /** Each pod's status from its containers now. */
  syncPods(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      const facts = await containerFacts(this.opts.docker, this.opts.lab);
      // The kubelet restarts what exited (or holds it back) before the status says so.
      this.kubelet?.observe(facts);
      for (const pod of this.store.list(K.pods)) {
        const status = podStatus(pod, facts.get(`${pod.metadata.namespace}/${pod.metadata.name}`) ?? [], this.kubelet?.historyOf, this.kubelet?.probesOf);
        if (JSON.stringify(status) === JSON.stringify(pod.status)) continue;
        this.store.update(K.pods, { ...pod, status });
        const old = pod.status as Record<string, unknown> | undefined;
        for (const event of podStatusEvents(pod, old, status, this.nodeName)) this.store.create(K.events, event);
        for (const event of await labPodEvents(this.opts.docker, this.store, pod, old, status, this.nodeName)) this.store.create(K.events, event);
      }
      syncWorkloadStatus(this.store);
      this.kubelet?.podsSynced();
    });
    return this.syncing.catch((err: unknown) => this.log(`pod status: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Container starts, deaths and restarts on the engine move the pods' status. */
  private async followEngine(): Promise<() => void> {
    const events = (await this.opts.docker.getEvents({
      filters: { type: ['container'], label: [`${LABELS.lab}=${this.opts.lab}`], event: ['start', 'die', 'destroy', 'restart'] },
    })) as NodeJS.ReadableStream & { destroy(): void };
    let timer: NodeJS.Timeout | undefined;
    events.on('data', () => {
      // A pod's containers change together: one sync after the burst.
      clearTimeout(timer);
      timer = setTimeout(() => void this.syncPods(), 150);
    });
    events.on('error', () => undefined);
    return () => {
      clearTimeout(timer);
      events.destroy();
    };
  }

  async close(): Promise<void> {
    this.controllers?.stop();
    await this.kubelet?.stop();
    this.stopEvents?.();
    await this.syncing.catch(() => undefined);
    for (const server of [this.server, this.inCluster]) {
      if (!server) continue;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.store.flush();
  }
}

/** The release the stored node's kubelet reports, as seeded from the Lab document. */
function storedKubernetesVersion(store: ObjectStore): string | undefined {
  const status = store.list(K.nodes)[0]?.status;
  const info = isRecord(status) && isRecord(status.nodeInfo) ? status.nodeInfo : {};
  return typeof info.kubeletVersion === 'string' && info.kubeletVersion ? info.kubeletVersion : undefined;
}

/** The port kube-apiserver serves on; the `kubernetes` Service's targetPort. */
export const IN_CLUSTER_PORT = 6443;

function listen(server: Server, port: number): Promise<number> {
  return listenOn(server, '127.0.0.1', port);
}

function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

// Running an ensemble from a workstation: one SSH connection to the login node and the cluster copy of the ensemble behind it.
import type { RemoteSpec } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { SshTransport } from '../transport/ssh.js';
import type { Transport } from '../transport/transport.js';
import { packageRoot } from '../util/paths.js';
import { prepareRemoteCluster, type RemoteCluster, type RemoteSetup } from './cluster.js';
import type { RemoteHost } from './upload.js';

export { RemoteCluster, type RemoteSetup, clusterInputs, clusterPlanFile, completeLines, prepareRemoteCluster } from './cluster.js';
export { shipFiles, taskPackages } from './ship.js';
export { type RemoteHost, type UploadItem, type UploadResult, uploadChanged } from './upload.js';

/** The ssh_config to read: executor.remote.ssh_config, else $ARRAYFLOW_SSH_CONFIG, else ssh's own (~/.ssh/config, /etc/ssh/ssh_config). */
export function sshConfigFile(spec: RemoteSpec | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return spec?.ssh_config ?? (env.ARRAYFLOW_SSH_CONFIG || undefined);
}

/** Opens the one SSH connection of a run (or of a status/cancel call) to the login node `target`. */
export async function connectLogin(target: string, spec: RemoteSpec | undefined): Promise<SshTransport> {
  const configFile = sshConfigFile(spec);
  return SshTransport.connect(target, configFile ? { configFile } : {});
}

function isRemoteHost(t: Transport): t is RemoteHost {
  const h = t as Partial<RemoteHost>;
  return typeof h.putFile === 'function' && typeof h.readFile === 'function' && typeof h.createExclusive === 'function' && typeof h.listDir === 'function' && typeof h.stat === 'function';
}

export interface OpenedRemote {
  /** The connection: scheduler commands and file transfers (close it when the run ends). */
  transport: RemoteHost;
  cluster: RemoteCluster;
  setup: RemoteSetup;
}

/**
 * Connects to `target` (an ssh_config alias or user@host[:port]) and prepares the cluster copy of the
 * ensemble in `spec.dir`. With `opts.transport`, that connection is used instead (and stays the caller's).
 */
export async function openRemote(
  target: string,
  spec: RemoteSpec | undefined,
  local: EnsembleLayout,
  plan: PlanFile,
  opts: { transport?: Transport; packageRoot?: string } = {},
): Promise<OpenedRemote> {
  if (!spec?.dir) {
    throw new UsageError(`submitting over SSH to ${target} needs executor.remote.dir: the ensemble directory on the cluster's shared filesystem, e.g. remote: {dir: /scratch/<you>/${plan.name}}`,
    );
  }
  let transport: RemoteHost;
  if (opts.transport) {
    if (!isRemoteHost(opts.transport)) throw new UsageError(`executor.host ${target}: the given transport cannot move files (use an SshTransport)`);
    transport = opts.transport;
  } else {
    transport = await connectLogin(target, spec);
  }
  try {
    const { cluster, setup } = await prepareRemoteCluster(transport, local, plan, spec, { where: target, packageRoot: opts.packageRoot ?? packageRoot });
    return { transport, cluster, setup };
  } catch (e) {
    if (!opts.transport) await transport.close();
    throw e;
  }
}

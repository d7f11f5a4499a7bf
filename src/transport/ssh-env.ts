// The local side of an SSH login: HOME, user, host name and ssh-agent socket read from the environment, and ~ for paths in messages.
import { homedir, hostname, userInfo } from 'node:os';

export interface Env {
  home: string;
  localUser: string;
  localHost: string;
  authSock?: string;
}

/** The local user is USER, else LOGNAME, else the passwd entry (which a container's uid may lack: then root). */
export function readEnv(env: NodeJS.ProcessEnv): Env {
  let localUser = env.USER || env.LOGNAME || '';
  if (!localUser) {
    try {
      localUser = userInfo().username;
    } catch {
      localUser = 'root';
    }
  }
  const e: Env = { home: env.HOME || homedir(), localUser, localHost: hostname() };
  if (env.SSH_AUTH_SOCK) e.authSock = env.SSH_AUTH_SOCK;
  return e;
}

/** Shows a path under HOME as ~/…, as ssh's own messages do. */
export function tilde(path: string, home: string): string {
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

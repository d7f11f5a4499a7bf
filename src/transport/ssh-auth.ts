// Authentication planning: which key files and ssh-agent keys to offer (keys only, never a password), and what to say when none works.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SshTarget } from './ssh-target.js';
import { tilde, type Env } from './ssh-env.js';
import { errMessage } from './ssh-errors.js';
import { ssh2, type Agent, type ParsedKey } from './ssh2-types.js';

/** ssh2 auth methods prepared from the identity files and the agent, plus what to say on failure. */
export interface AuthPlan {
  /** ssh2 authHandler entries, in the order to try them. */
  methods: object[];
  /** The key files as the failure message lists them (with why one was not offered). */
  keys: string[];
  /** The agent as the failure message describes it. */
  agent: string;
}

const blobOf = (k: ParsedKey) => k.getPublicSSH().toString('base64');

/** Reads the target's identity files and asks its agent for keys (3 s at most); never prompts. */
export async function planAuth(t: SshTarget, env: Pick<Env, 'home'>): Promise<AuthPlan> {
  const methods: object[] = [];
  const keys: string[] = [];
  const identityBlobs = new Set<string>();
  for (const file of t.identityFiles) {
    const shown = tilde(file, env.home);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (e) {
      if (!t.defaultIdentityFiles) keys.push(`${shown} (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : errMessage(e)})`);
      continue;
    }
    const parsed = ssh2.utils.parseKey(data);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key instanceof Error || !key) {
      const encrypted = /passphrase|encrypted/i.test(errMessage(key));
      // The public half lets the agent offer this key even with IdentitiesOnly.
      const pub = await readFile(`${file}.pub`, 'utf8').catch(() => '');
      const pubKey = pub ? ssh2.utils.parseKey(pub) : undefined;
      if (pubKey && !(pubKey instanceof Error) && !Array.isArray(pubKey)) identityBlobs.add(blobOf(pubKey));
      keys.push(`${shown} (${encrypted ? 'passphrase-protected: load it with ssh-add' : `unreadable: ${errMessage(key)}`})`);
      continue;
    }
    identityBlobs.add(blobOf(key));
    methods.push({ type: 'publickey', username: t.user, key: data });
    keys.push(shown);
  }
  if (keys.length === 0) keys.push(t.defaultIdentityFiles ? `none found in ${tilde(join(env.home, '.ssh'), env.home)}` : 'none');
  const agent = t.agentSocket ? await planAgent(t, t.agentSocket, identityBlobs, methods) : 'none (SSH_AUTH_SOCK is not set)';
  return { methods, keys, agent };
}

/** Counts the agent's usable keys and, when there are any, appends an agent method offering just those. */
async function planAgent(t: SshTarget, sock: string, identityBlobs: Set<string>, methods: object[]): Promise<string> {
  const found = await new Promise<ParsedKey[] | Error>((resolve) => {
    const timer = setTimeout(() => resolve(new Error('no answer')), 3000);
    new ssh2.OpenSSHAgent(sock).getIdentities((err, list) => {
      clearTimeout(timer);
      resolve(err ? err : (list ?? []));
    });
  });
  if (found instanceof Error) return `unreachable at ${sock} (${found.message})`;
  const usable = t.identitiesOnly ? found.filter((k) => identityBlobs.has(blobOf(k))) : found;
  const skipped = t.identitiesOnly && usable.length < found.length ? ` (IdentitiesOnly: ${found.length - usable.length} not in IdentityFile skipped)` : '';
  if (usable.length > 0) {
    const allowed = new Set(usable.map(blobOf));
    // Offer only the keys counted above (IdentitiesOnly), in the agent's order.
    const Base = ssh2.OpenSSHAgent as unknown as new (s: string) => Agent;
    class FilteredAgent extends Base {
      override getIdentities(cb: (err: Error | null | undefined, keys?: ParsedKey[]) => void): void {
        super.getIdentities((err, list) => cb(err, list?.filter((k) => allowed.has(blobOf(k)))));
      }
    }
    methods.push({ type: 'agent', username: t.user, agent: new FilteredAgent(sock) });
  }
  return `${usable.length} key${usable.length === 1 ? '' : 's'} at ${sock}${skipped}`;
}

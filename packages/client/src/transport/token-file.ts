import { readFile } from 'node:fs/promises';
import type { User } from '@kubernetes/client-node';
import type { Clock } from '../clock.js';
import { KubeClientError } from '../kube-client-error.js';

/** How long a token read from a file is used before the file is read again, in ms (client-go: one minute). */
export const tokenFileReadEveryMs = 60_000;

/**
 * The token file of `user`, if its token comes from one: the in-cluster service account's (client-node's
 * `loadFromCluster` gives the user an auth-provider `tokenFile`), or a `tokenFile` field on the user (a
 * kubeconfig's `token-file`, which `loadKubeConfig` records: client-node reads it once at load and keeps
 * no path).
 */
export function tokenFileOf(user: User | null): string | undefined {
  if (user === null) return undefined;
  const own = (user as { tokenFile?: unknown }).tokenFile;
  if (typeof own === 'string' && own !== '') return own;
  const provider = (user.authProvider as { config?: { tokenFile?: unknown } } | undefined)?.config?.tokenFile;
  return typeof provider === 'string' && provider !== '' ? provider : undefined;
}

/** One read of a token file. */
export interface TokenRead {
  readonly path: string;
  readonly token: string;
  /** When it was read (clock ms). */
  readonly at: number;
}

/**
 * A bearer token read from a file, as client-go's cached file token source: the file is read again
 * once its last read is {@link tokenFileReadEveryMs} old, or at once after {@link reset} (the server
 * refused the token: it may have rotated on disk). The content is trimmed; an empty file or a failed
 * read keeps the last token read unless it was reset (as client-go), else fails with kind `auth`.
 */
export class TokenFile {
  private last: TokenRead | undefined;

  constructor(private readonly clock: Clock) {}

  /** The token of `path`: the last read while it is fresh, else the file read again. */
  async read(path: string): Promise<TokenRead> {
    const last = this.last?.path === path ? this.last : undefined;
    if (last !== undefined && this.clock.now() - last.at < tokenFileReadEveryMs) return last;
    let token: string;
    try {
      token = (await readFile(path, 'utf8')).trim();
      if (token === '') throw new Error('the file is empty');
    } catch (error: unknown) {
      if (last !== undefined) return last;
      throw new KubeClientError('auth', `reading the token file ${path} failed: ${String(error)}`, {
        cause: error,
      });
    }
    this.last = { path, token, at: this.clock.now() };
    return this.last;
  }

  /** Forgets `read` (if it is the last read): the next {@link read} reads the file again. */
  reset(read: TokenRead): void {
    if (this.last === read) this.last = undefined;
  }
}

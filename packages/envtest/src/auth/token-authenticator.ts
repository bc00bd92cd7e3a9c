import { randomBytes } from 'node:crypto';

/** The user every request of the default kubeconfig context acts as. */
export const ADMIN_USER = 'admin';

/** Bearer tokens of the admin and the named users, as kube-apiserver's static token file. */
export class TokenAuthenticator {
  readonly #tokens = new Map<string, string>();
  readonly #users = new Map<string, string>();

  constructor() {
    this.addUser(ADMIN_USER);
  }

  /** Creates `user` with a random token unless it exists; returns its token. */
  addUser(user: string): string {
    const existing = this.#users.get(user);
    if (existing) return existing;
    const token = randomBytes(24).toString('base64url');
    this.#users.set(user, token);
    this.#tokens.set(token, user);
    return token;
  }

  tokenOf(user: string): string | undefined {
    return this.#users.get(user);
  }

  users(): string[] {
    return [...this.#users.keys()];
  }

  /** The user of an `Authorization` header, or undefined when it is missing or not a known token. */
  authenticate(header: string | undefined): string | undefined {
    if (!header?.startsWith('Bearer ')) return undefined;
    // A hash lookup: a test server's tokens need no defence against timing attacks.
    return this.#tokens.get(header.slice(7).trim());
  }
}

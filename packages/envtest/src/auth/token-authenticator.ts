import { randomBytes } from 'node:crypto';

/** The user every request of the default kubeconfig context acts as. */
export const ADMIN_USER = 'admin';

/** Who a request acts as. */
export interface Identity {
  /** The envtest user (kubeconfig context, fault and counter matching). */
  readonly user: string;
  /** The user name RBAC sees (`system:serviceaccount:NS:NAME` for a service account). */
  readonly username: string;
  readonly groups: readonly string[];
  /** Subject to RBAC; otherwise allowed everything (as `system:masters`). */
  readonly rbac: boolean;
}

/** How a user is created: an admin, or an RBAC subject (optionally as a service account). */
export interface UserSpec {
  readonly rbac: boolean;
  readonly groups?: readonly string[];
  readonly serviceAccount?: { readonly namespace: string; readonly name: string };
}

function identityOf(user: string, spec: UserSpec): Identity {
  const account = spec.serviceAccount;
  if (account !== undefined) {
    return {
      user,
      username: `system:serviceaccount:${account.namespace}:${account.name}`,
      groups: [
        'system:serviceaccounts',
        `system:serviceaccounts:${account.namespace}`,
        'system:authenticated',
        ...(spec.groups ?? []),
      ],
      rbac: spec.rbac,
    };
  }
  return {
    user,
    username: user,
    groups: [...(spec.groups ?? []), ...(spec.rbac ? [] : ['system:masters']), 'system:authenticated'],
    rbac: spec.rbac,
  };
}

/** Bearer tokens of the admin and the named users, as kube-apiserver's static token file. */
export class TokenAuthenticator {
  readonly #tokens = new Map<string, Identity>();
  readonly #users = new Map<string, string>();

  constructor() {
    this.addUser(ADMIN_USER);
  }

  /** Creates `user` with a random token unless it exists; returns its token. */
  addUser(user: string, spec: UserSpec = { rbac: false }): string {
    const existing = this.#users.get(user);
    if (existing) return existing;
    const token = randomBytes(24).toString('base64url');
    this.#users.set(user, token);
    this.#tokens.set(token, identityOf(user, spec));
    return token;
  }

  /** A token for a service account (a TokenRequest), subject to RBAC; not a kubeconfig user. */
  addServiceAccountToken(namespace: string, name: string): string {
    const token = randomBytes(24).toString('base64url');
    const username = `system:serviceaccount:${namespace}:${name}`;
    this.#tokens.set(token, identityOf(username, { rbac: true, serviceAccount: { namespace, name } }));
    return token;
  }

  tokenOf(user: string): string | undefined {
    return this.#users.get(user);
  }

  users(): string[] {
    return [...this.#users.keys()];
  }

  /** The identity of an `Authorization` header, or undefined when it is missing or not a known token. */
  authenticate(header: string | undefined): Identity | undefined {
    if (!header?.startsWith('Bearer ')) return undefined;
    // A hash lookup: a test server's tokens need no defence against timing attacks.
    return this.#tokens.get(header.slice(7).trim());
  }
}

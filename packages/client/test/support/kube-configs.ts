import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Cluster, User } from '@kubernetes/client-node';

/** A temporary folder, removed by `remove()`. */
export interface TempDir {
  readonly path: string;
  file(name: string): string;
  remove(): void;
}

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'kubekit-client-'));
  return {
    path,
    file: (name) => join(path, name),
    remove: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** The current cluster of `kubeConfig` (throws without one). */
export function clusterOf(kubeConfig: KubeConfig): Cluster {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('no current cluster');
  return cluster;
}

/** The bearer token of `kubeConfig`'s current user. */
export function tokenOf(kubeConfig: KubeConfig): string {
  const token = kubeConfig.getCurrentUser()?.token;
  if (token === undefined) throw new Error('no token');
  return token;
}

/** A KubeConfig with one context: `cluster` (overridable fields) and `user`. */
export function kubeConfigWith(cluster: Cluster, user: User): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{ name: 'test', cluster: cluster.name, user: user.name }],
    currentContext: 'test',
  });
  return kubeConfig;
}

/**
 * A shell exec plugin in `dir`: each run appends a line to `runs` and writes its pid to `pid`,
 * runs `body` (shell), then prints an ExecCredential with the token read from `tokenFile` and an
 * expiry in the past, so that client-node runs it for every authentication.
 */
export function execPlugin(
  dir: TempDir,
  body = '',
): { command: string; tokenFile: string; runs: string; pid: string } {
  const command = dir.file('plugin.sh');
  const tokenFile = dir.file('token');
  const runs = dir.file('runs');
  const pid = dir.file('pid');
  writeFileSync(runs, '');
  writeFileSync(
    command,
    `#!/bin/sh
echo run >> '${runs}'
echo $$ > '${pid}'
${body}
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2000-01-01T00:00:00Z"}}' "$(cat '${tokenFile}')"
`,
  );
  chmodSync(command, 0o755);
  return { command, tokenFile, runs, pid };
}

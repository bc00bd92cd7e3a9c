import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KubeClientError } from './kube-client-error.js';

/**
 * A KubeConfig loaded from `file` as client-node's `loadFromFile` does, with each user's
 * `token-file` recorded as the user's `tokenFile` (a relative path resolved against the file's
 * folder, as kubectl does). client-node alone reads a `token-file` once, at load (a relative one
 * against the working directory), and keeps no path, so a rotated token would never be seen; with
 * the path recorded, the client reads the file again once a minute and after a 401, as client-go.
 * Fails with kind `invalidArgument` when the file cannot be read or parsed.
 */
export function loadKubeConfig(file: string): KubeConfig {
  const folder = dirname(file);
  const kubeConfig = new KubeConfig();
  const tokenFiles = new Map<string, string>();
  try {
    const parsed: unknown = parse(readFileSync(file, 'utf8'));
    const entries = (parsed as { users?: unknown } | null)?.users;
    for (const entry of Array.isArray(entries) ? (entries as unknown[]) : []) {
      const { name, user } = (entry ?? {}) as { name?: unknown; user?: Record<string, unknown> | null };
      const tokenFile = user?.['token-file'];
      if (typeof name !== 'string' || user == null || typeof tokenFile !== 'string' || tokenFile === '') {
        continue;
      }
      const absolute = isAbsolute(tokenFile) ? tokenFile : resolve(folder, tokenFile);
      user['token-file'] = absolute;
      tokenFiles.set(name, absolute);
    }
    // JSON is YAML: client-node loads the document with the absolute token-file paths.
    kubeConfig.loadFromString(JSON.stringify(parsed));
    kubeConfig.makePathsAbsolute(folder);
  } catch (error: unknown) {
    throw new KubeClientError('invalidArgument', `loading the kubeconfig ${file} failed: ${String(error)}`, {
      cause: error,
    });
  }
  for (const user of kubeConfig.users) {
    const tokenFile = tokenFiles.get(user.name);
    if (tokenFile !== undefined) (user as { tokenFile?: string }).tokenFile = tokenFile;
  }
  return kubeConfig;
}

import { readFileSync } from 'node:fs';
import { LeaderElectionError } from '../leader-election-error.js';

/** Where Kubernetes mounts the Pod's namespace. */
export const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The Pod's own namespace as Kubernetes mounts it (`file`, default
 * {@link serviceAccountNamespaceFile}); `undefined` when the file is missing or empty (not in a
 * Pod, or no service account mounted).
 */
export function readPodNamespace(file: string = serviceAccountNamespaceFile): string | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * The namespace of a lock: `namespace` when given, else the Pod's own namespace from the
 * service-account file (`file`, default {@link serviceAccountNamespaceFile}).
 * @throws LeaderElectionError kind `noNamespace` saying what to set.
 */
export function resolveNamespace(
  lock: string,
  namespace?: string,
  file: string = serviceAccountNamespaceFile,
): string {
  if (namespace !== undefined && namespace !== '') return namespace;
  const fromFile = readPodNamespace(file);
  if (fromFile !== undefined) return fromFile;
  throw new LeaderElectionError(
    'noNamespace',
    `${lock}: no namespace given and none found in ${file} (not running in a Pod?); set the lock's namespace option (kubekit-elect --namespace)`,
  );
}

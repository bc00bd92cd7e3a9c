import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '@kubekit/client';
import { parseAllDocuments } from 'yaml';

/** The example's `deploy/` folder (the manifests ship next to the compiled code). */
export const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** Every object of a YAML file (documents separated by `---`; empty ones skipped). */
export function loadManifests(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

/** Every object of every `*.yaml` in `deploy/`, Namespaces and CRDs first (what the others need). */
export function loadDeployManifests(): KubeObject[] {
  const objects = readdirSync(deployDir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => loadManifests(`${deployDir}${file}`));
  const rank = (o: KubeObject): number =>
    o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition' ? 0 : 1;
  return objects.sort((a, b) => rank(a) - rank(b));
}

/** The Memcached CRD from `deploy/crd.yaml`. */
export function memcachedCrd(): KubeObject {
  const [crd] = loadManifests(`${deployDir}crd.yaml`);
  if (crd === undefined) throw new Error(`${deployDir}crd.yaml holds no object`);
  return crd;
}

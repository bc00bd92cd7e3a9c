import type { ResourceType } from './resource-type.js';

/** One API group as discovery shows it: its versions, preferred first. */
export interface ApiGroupInfo {
  readonly name: string;
  readonly versions: readonly string[];
}

/** Every resource the server serves, found by URL parts or by apiVersion and kind. */
export class ResourceRegistry {
  readonly #byPath = new Map<string, ResourceType>();
  readonly #byKind = new Map<string, ResourceType>();

  add(type: ResourceType): void {
    this.#byPath.set(`${type.group}/${type.version}/${type.plural}`, type);
    this.#byKind.set(`${type.apiVersion}/${type.kind}`, type);
  }

  remove(type: ResourceType): void {
    this.#byPath.delete(`${type.group}/${type.version}/${type.plural}`);
    this.#byKind.delete(`${type.apiVersion}/${type.kind}`);
  }

  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.#byPath.get(`${group}/${version}/${plural}`);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.#byKind.get(`${apiVersion}/${kind}`);
  }

  /** Every version served for the storage of `type` (all versions of one CRD, for example). */
  versionsOf(storageId: string): ResourceType[] {
    return [...this.#byPath.values()].filter((type) => type.storageId === storageId);
  }

  /** One type per storage (the first registered version of each resource). */
  storages(): ResourceType[] {
    const seen = new Map<string, ResourceType>();
    for (const type of this.#byPath.values()) if (!seen.has(type.storageId)) seen.set(type.storageId, type);
    return [...seen.values()];
  }

  /** The resources of one group version, in registration order. */
  resources(group: string, version: string): ResourceType[] {
    return [...this.#byPath.values()].filter((type) => type.group === group && type.version === version);
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.resources(group, version).length > 0;
  }

  /** The named API groups (not the core group), in registration order. */
  groups(): ApiGroupInfo[] {
    const groups = new Map<string, string[]>();
    for (const type of this.#byPath.values()) {
      if (type.group === '') continue;
      const versions = groups.get(type.group) ?? [];
      if (!versions.includes(type.version)) versions.push(type.version);
      groups.set(type.group, versions);
    }
    return [...groups].map(([name, versions]) => ({ name, versions: sortVersions(versions) }));
  }
}

function versionPriority(version: string): [number, number, number] {
  const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!match) return [0, 0, 0];
  const stability = match[2] === undefined ? 3 : match[2] === 'beta' ? 2 : 1;
  return [stability, Number(match[1]), Number(match[3] ?? 0)];
}

/** Kubernetes version priority: GA before beta before alpha, higher numbers first. */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort((a, b) => {
    const [sa, ma, na] = versionPriority(a);
    const [sb, mb, nb] = versionPriority(b);
    return sb - sa || mb - ma || nb - na || a.localeCompare(b);
  });
}

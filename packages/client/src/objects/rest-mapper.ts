import { isNotFound } from '../api-errors.js';
import { KubeClientError } from '../kube-client-error.js';
import { raceAbort } from '../transport/authenticator.js';
import type { Transport } from '../transport/transport.js';

/** Where a kind is served. */
export interface ResourceMapping {
  /** `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The plural resource, e.g. `deployments`. */
  readonly resource: string;
  readonly namespaced: boolean;
  /** `/api/v1` or `/apis/GROUP/VERSION`. */
  readonly groupVersionPath: string;
  /** Subresources discovery lists, e.g. `status`, `scale`. */
  readonly subresources: readonly string[];
}

interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

interface GroupVersionEntry {
  readonly kinds: ReadonlyMap<string, ResourceMapping>;
}

/** Options of a mapping lookup. */
export interface MappingOptions {
  readonly signal?: AbortSignal | undefined;
}

/**
 * Maps apiVersion + kind to the resource that serves it, from discovery (`GET /api/v1`,
 * `GET /apis/GROUP/VERSION`), as client-go's deferred discovery REST mapper: each group version
 * is read on first use and kept; a kind it does not list makes it read again (once for all
 * callers asking meanwhile), so CRDs installed later are found. A kind still missing fails with
 * kind `noKindMatch`; failures are not kept.
 */
export class RestMapper {
  private readonly groupVersions = new Map<string, GroupVersionEntry>();
  private readonly pending = new Map<string, Promise<GroupVersionEntry>>();

  constructor(private readonly transport: Transport) {}

  /** The mapping of `apiVersion` + `kind`; rejects with kind `noKindMatch` when nothing serves it. */
  async mapping(apiVersion: string, kind: string, options: MappingOptions = {}): Promise<ResourceMapping> {
    const kept = this.known(apiVersion, kind);
    if (kept !== undefined) return kept;
    const refreshed = this.refresh(apiVersion);
    const entry = await (options.signal === undefined ? refreshed : raceAbort(refreshed, options.signal));
    const found = entry.kinds.get(kind);
    if (found === undefined) {
      throw new KubeClientError(
        'noKindMatch',
        `no resource serves kind ${kind} in ${apiVersion} (is its CRD installed?)`,
      );
    }
    return found;
  }

  /** The mapping of `apiVersion` + `kind` if discovery already listed it (no request, no promise). */
  known(apiVersion: string, kind: string): ResourceMapping | undefined {
    return this.groupVersions.get(apiVersion)?.kinds.get(kind);
  }

  /** Forgets every group version (the next lookup reads discovery again). */
  reset(): void {
    this.groupVersions.clear();
  }

  /** Reads `apiVersion`'s discovery (shared by every caller meanwhile; under the transport's default deadline). */
  private refresh(apiVersion: string): Promise<GroupVersionEntry> {
    let pending = this.pending.get(apiVersion);
    if (pending === undefined) {
      pending = this.discover(apiVersion).finally(() => this.pending.delete(apiVersion));
      this.pending.set(apiVersion, pending);
    }
    return pending;
  }

  private async discover(apiVersion: string): Promise<GroupVersionEntry> {
    const parts = apiVersion.split('/');
    if (parts.length > 2 || parts.some((part) => part === '')) {
      throw new KubeClientError(
        'invalidArgument',
        `invalid apiVersion ${JSON.stringify(apiVersion)} (want v1 or GROUP/VERSION)`,
      );
    }
    const [group, version] = parts.length === 1 ? ['', parts[0] ?? ''] : [parts[0] ?? '', parts[1] ?? ''];
    const groupVersionPath = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    let list: { resources?: readonly ApiResource[] };
    try {
      list = (await this.transport.json({ method: 'GET', path: groupVersionPath })) as typeof list;
    } catch (error: unknown) {
      if (isNotFound(error)) {
        this.groupVersions.delete(apiVersion);
        throw new KubeClientError('noKindMatch', `the API server does not serve ${apiVersion}`, {
          cause: error,
        });
      }
      throw error;
    }
    const resources = list.resources ?? [];
    const kinds = new Map<string, ResourceMapping>();
    for (const resource of resources) {
      if (resource.name.includes('/')) continue;
      kinds.set(resource.kind, {
        group,
        version,
        kind: resource.kind,
        resource: resource.name,
        namespaced: resource.namespaced,
        groupVersionPath,
        subresources: resources
          .filter((r) => r.name.startsWith(`${resource.name}/`))
          .map((r) => r.name.slice(resource.name.length + 1)),
      });
    }
    const entry = { kinds };
    this.groupVersions.set(apiVersion, entry);
    return entry;
  }
}

import type { ResourceRegistry } from '../api/resource-registry.js';
import type { ResourceType } from '../api/resource-type.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The Kubernetes version envtest claims to be. */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+kubekit-envtest',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** `GET /api`: the core group's versions. */
export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(name: string, versions: readonly string[]): unknown {
  const groupVersions = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: groupVersions, preferredVersion: groupVersions[0] };
}

/** `GET /apis`: every named group. */
export function apiGroupList(registry: ResourceRegistry): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry.groups().map((group) => groupEntry(group.name, group.versions)),
  };
}

/** `GET /apis/GROUP`, or undefined for an unknown group. */
export function apiGroup(registry: ResourceRegistry, name: string): unknown {
  const group = registry.groups().find((candidate) => candidate.name === name);
  if (!group) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...(groupEntry(group.name, group.versions) as object) };
}

function resourceEntries(type: ResourceType): unknown[] {
  const main = {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: type.verbs ?? VERBS,
    ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length > 0 ? { categories: type.categories } : {}),
  };
  const entries: unknown[] = [main];
  const verbs = ['get', 'patch', 'update'];
  if (type.statusSubresource) {
    entries.push({
      name: `${type.plural}/status`,
      singularName: '',
      namespaced: type.namespaced,
      kind: type.kind,
      verbs,
    });
  }
  if (type.group === '' && type.plural === 'serviceaccounts') {
    entries.push({
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      verbs: ['create'],
    });
  }
  if (type.scale) {
    entries.push({
      name: `${type.plural}/scale`,
      singularName: '',
      namespaced: type.namespaced,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs,
    });
  }
  return entries;
}

/** `GET /api/v1` or `GET /apis/GROUP/VERSION`, or undefined when nothing is served there. */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string): unknown {
  const types = registry.resources(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.flatMap(resourceEntries),
  };
}

function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** `GET /openapi/v3`: where the document of each group version is. */
export function openApiV3Root(registry: ResourceRegistry): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const add = (group: string, version: string): void => {
    const path = groupVersionPath(group, version);
    paths[path] = {
      serverRelativeURL: `/openapi/v3/${path}?hash=${registry.resources(group, version).length}`,
    };
  };
  if (registry.hasGroupVersion('', 'v1')) add('', 'v1');
  for (const group of registry.groups()) for (const version of group.versions) add(group.name, version);
  return { paths };
}

/**
 * `GET /openapi/v3/api/v1` or `/openapi/v3/apis/GROUP/VERSION`: a minimal OpenAPI document with
 * the operations of each resource and their query parameters, no schemas. It is what kubectl
 * needs to know that the server validates fields itself (`fieldValidation`), so that `kubectl
 * apply` works without a client-side schema.
 */
export function openApiV3Document(registry: ResourceRegistry, group: string, version: string): unknown {
  const types = registry.resources(group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const parameters = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
    name,
    in: 'query',
    schema: { type: name === 'force' ? 'boolean' : 'string' },
  }));
  for (const type of types) {
    const gvk = { group: type.group, version: type.version, kind: type.kind };
    const base = `/${groupVersionPath(group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}`;
    const operation = (id: string): unknown => ({
      operationId: `${id}${type.kind}`,
      'x-kubernetes-group-version-kind': gvk,
      'x-kubernetes-action': id,
      parameters,
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { get: operation('list'), post: operation('post') };
    paths[`${base}/{name}`] = {
      get: operation('get'),
      put: operation('put'),
      patch: operation('patch'),
      delete: operation('delete'),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}

/**
 * `GET /openapi/v2`: a Swagger 2.0 document with the operations of every resource served and a
 * definition per kind (named as kube-apiserver names them, e.g. `io.k8s.api.apps.v1.StatefulSet`,
 * with `x-kubernetes-group-version-kind`, no field schemas).
 */
export function openApiV2Document(registry: ResourceRegistry): unknown {
  const paths: Record<string, unknown> = {};
  const definitions: Record<string, unknown> = {};
  const groups = ['', ...registry.groups().map((group) => group.name)];
  for (const group of groups) {
    const versions =
      group === '' ? ['v1'] : (registry.groups().find((g) => g.name === group)?.versions ?? []);
    for (const version of versions) {
      for (const type of registry.resources(group, version)) {
        const gvk = { group: type.group, version: type.version, kind: type.kind };
        const prefix = type.custom
          ? type.group.split('.').reverse().join('.')
          : `io.k8s.api.${type.group === '' ? 'core' : (type.group.split('.')[0] ?? '')}`;
        const definition = `${prefix}.${type.version}.${type.kind}`;
        definitions[definition] = {
          type: 'object',
          'x-kubernetes-group-version-kind': [gvk],
        };
        const base = `/${groupVersionPath(group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}`;
        const operation = (id: string): unknown => ({
          operationId: `${id}${type.kind}`,
          'x-kubernetes-group-version-kind': gvk,
          'x-kubernetes-action': id,
          responses: { '200': { description: 'OK', schema: { $ref: `#/definitions/${definition}` } } },
        });
        paths[base] = { get: operation('list'), post: operation('post') };
        paths[`${base}/{name}`] = {
          get: operation('get'),
          put: operation('put'),
          patch: operation('patch'),
          delete: operation('delete'),
        };
      }
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths,
    definitions,
  };
}

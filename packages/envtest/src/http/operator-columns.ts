import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import { AGE, column, field, humanDuration, NAME, text } from './table.js';
import type { Column } from './table.js';

function number(object: KubeObject, ...path: string[]): number {
  const value = field(object, ...path);
  return typeof value === 'number' ? value : 0;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function age(value: unknown, now: number): string {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? '<none>' : humanDuration(now - time);
}

function intOrString(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : 'N/A';
}

function subjects(object: KubeObject, kind: string): string {
  const names = list(object['subjects'])
    .filter((subject) => isRecord(subject) && subject['kind'] === kind)
    .map((subject) => {
      const entry = subject as Record<string, unknown>;
      const name = text(entry['name'], '');
      return kind === 'ServiceAccount' ? `${text(entry['namespace'], '')}/${name}` : name;
    });
  return names.length === 0 ? '' : names.join(', ');
}

function jobStatus(object: KubeObject): string {
  const conditions = list(field(object, 'status', 'conditions'));
  const done = conditions.find(
    (condition) =>
      isRecord(condition) &&
      condition['status'] === 'True' &&
      (condition['type'] === 'Complete' || condition['type'] === 'Failed'),
  );
  if (isRecord(done)) return done['type'] as string;
  return field(object, 'spec', 'suspend') === true ? 'Suspended' : 'Running';
}

// Functions, not constants: table.ts and this file import each other.
const roleBinding = (): Column[] => [
  NAME,
  column('Role', (o) => `${text(field(o, 'roleRef', 'kind'), '')}/${text(field(o, 'roleRef', 'name'), '')}`),
  AGE,
  column('Users', (o) => subjects(o, 'User'), 'string', 1),
  column('Groups', (o) => subjects(o, 'Group'), 'string', 1),
  column('ServiceAccounts', (o) => subjects(o, 'ServiceAccount'), 'string', 1),
];

const role = (): Column[] => [NAME, column('Created At', (o) => o.metadata.creationTimestamp ?? '', 'date')];

/** kube-apiserver's Table columns for the kinds operators own (beyond table.ts's). */
export function operatorColumns(resource: string): Column[] | undefined {
  switch (resource) {
    case 'apps/statefulsets':
      return [
        NAME,
        column('Ready', (o) => `${number(o, 'status', 'readyReplicas')}/${number(o, 'spec', 'replicas')}`),
        AGE,
      ];
    case 'apps/replicasets':
      return [
        NAME,
        column('Desired', (o) => number(o, 'spec', 'replicas'), 'integer'),
        column('Current', (o) => number(o, 'status', 'replicas'), 'integer'),
        column('Ready', (o) => number(o, 'status', 'readyReplicas'), 'integer'),
        AGE,
      ];
    case 'apps/daemonsets':
      return [
        NAME,
        column('Desired', (o) => number(o, 'status', 'desiredNumberScheduled'), 'integer'),
        column('Current', (o) => number(o, 'status', 'currentNumberScheduled'), 'integer'),
        column('Ready', (o) => number(o, 'status', 'numberReady'), 'integer'),
        column('Up-to-date', (o) => number(o, 'status', 'updatedNumberScheduled'), 'integer'),
        column('Available', (o) => number(o, 'status', 'numberAvailable'), 'integer'),
        column('Node Selector', (o) => {
          const selector = field(o, 'spec', 'template', 'spec', 'nodeSelector');
          const entries = isRecord(selector) ? Object.entries(selector) : [];
          return entries.length === 0
            ? '<none>'
            : entries.map(([key, value]) => `${key}=${String(value)}`).join(',');
        }),
        AGE,
      ];
    case 'batch/jobs':
      return [
        NAME,
        column('Status', jobStatus),
        column(
          'Completions',
          (o) => `${number(o, 'status', 'succeeded')}/${number(o, 'spec', 'completions') || 1}`,
        ),
        column('Duration', (o, now) => age(field(o, 'status', 'startTime'), now)),
        AGE,
      ];
    case 'batch/cronjobs':
      return [
        NAME,
        column('Schedule', (o) => text(field(o, 'spec', 'schedule'), '')),
        column('Timezone', (o) => text(field(o, 'spec', 'timeZone'))),
        column('Suspend', (o) => String(field(o, 'spec', 'suspend') === true)),
        column('Active', (o) => list(field(o, 'status', 'active')).length, 'integer'),
        column('Last Schedule', (o, now) => age(field(o, 'status', 'lastScheduleTime'), now)),
        AGE,
      ];
    case 'policy/poddisruptionbudgets':
      return [
        NAME,
        column('Min Available', (o) => intOrString(field(o, 'spec', 'minAvailable'))),
        column('Max Unavailable', (o) => intOrString(field(o, 'spec', 'maxUnavailable'))),
        column('Allowed Disruptions', (o) => number(o, 'status', 'disruptionsAllowed'), 'integer'),
        AGE,
      ];
    case '/persistentvolumeclaims':
      return [
        NAME,
        column('Status', (o) => text(field(o, 'status', 'phase'), '')),
        column('Volume', (o) => text(field(o, 'spec', 'volumeName'), '')),
        column('Capacity', (o) => text(field(o, 'status', 'capacity', 'storage'), '')),
        column('Access Modes', (o) => list(field(o, 'status', 'accessModes')).join(',')),
        column('StorageClass', (o) => text(field(o, 'spec', 'storageClassName'))),
        column('VolumeAttributesClass', (o) => text(field(o, 'spec', 'volumeAttributesClassName'))),
        AGE,
      ];
    case 'networking.k8s.io/ingresses':
      return [
        NAME,
        column('Class', (o) => text(field(o, 'spec', 'ingressClassName'))),
        column('Hosts', (o) => {
          const hosts = list(field(o, 'spec', 'rules')).map((rule) =>
            isRecord(rule) ? text(rule['host'], '*') : '*',
          );
          return hosts.length === 0 ? '*' : hosts.join(',');
        }),
        column('Address', () => ''),
        column('Ports', (o) => (list(field(o, 'spec', 'tls')).length > 0 ? '80, 443' : '80')),
        AGE,
      ];
    case 'rbac.authorization.k8s.io/roles':
    case 'rbac.authorization.k8s.io/clusterroles':
      return role();
    case 'rbac.authorization.k8s.io/rolebindings':
    case 'rbac.authorization.k8s.io/clusterrolebindings':
      return roleBinding();
    case 'discovery.k8s.io/endpointslices':
      return [
        NAME,
        column('AddressType', (o) => text(o['addressType'], '')),
        column('Ports', (o) => {
          const ports = list(o['ports']).map((port) =>
            isRecord(port) ? String(port['port'] as number) : '',
          );
          return ports.length === 0 ? '<unset>' : ports.join(',');
        }),
        column('Endpoints', (o) => {
          const addresses = list(o['endpoints']).flatMap((endpoint) =>
            isRecord(endpoint) ? list(endpoint['addresses']).map(String) : [],
          );
          return addresses.length === 0 ? '<unset>' : addresses.join(',');
        }),
        AGE,
      ];
    default:
      return undefined;
  }
}

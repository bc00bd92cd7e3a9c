import { wallClock } from '../wall-clock.js';
import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import type { PrinterColumn, ResourceType } from '../api/resource-type.js';
import { operatorColumns } from './operator-columns.js';

/** What rows carry besides the cells (`includeObject`); kube-apiserver's default is Metadata. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface Column {
  readonly name: string;
  /** `string`, `integer`, `date`; a CRD's columns may also say `number` or `boolean`. */
  readonly type: string;
  readonly format: string;
  readonly description: string;
  readonly priority: number;
  cell(object: KubeObject, now: number): string | number | boolean | null;
}

/** True when the Accept header asks for `meta.k8s.io` Tables (as kubectl get does). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const part of accept.split(',')) {
    const params = part.split(';').map((p) => p.trim());
    const media = params[0] ?? '';
    if (media !== 'application/json' && media !== '*/*') continue;
    const as = params.find((p) => p.startsWith('as='));
    if (as === undefined) return false;
    if (as === 'as=Table' && params.includes('g=meta.k8s.io')) return true;
  }
  return false;
}

/** Go's `duration.HumanDuration`, as kubectl shows ages. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24);
    const d = days % 365;
    return d === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

export function field(object: KubeObject, ...path: string[]): unknown {
  let current: unknown = object;
  for (const part of path) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

export function text(value: unknown, empty = '<none>'): string {
  if (value === undefined || value === null || value === '') return empty;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function count(value: unknown): number {
  return isRecord(value) ? Object.keys(value).length : 0;
}

export const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  priority: 0,
  cell: (object) => object.metadata.name ?? '',
};

export const AGE: Column = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is the time this object was created.',
  priority: 0,
  cell: (object, now) => {
    const created = Date.parse(object.metadata.creationTimestamp ?? '');
    return Number.isNaN(created) ? '<unknown>' : humanDuration(now - created);
  },
};

export function column(
  name: string,
  cell: Column['cell'],
  type: Column['type'] = 'string',
  priority: 0 | 1 = 0,
): Column {
  return { name, type, format: '', description: name, priority, cell };
}

function podStatus(object: KubeObject): string {
  if (object.metadata.deletionTimestamp) return 'Terminating';
  return text(field(object, 'status', 'reason'), '') || text(field(object, 'status', 'phase'), 'Unknown');
}

function nodeStatus(object: KubeObject): string {
  const conditions = field(object, 'status', 'conditions');
  const ready: unknown = Array.isArray(conditions)
    ? (conditions as unknown[]).find((c) => isRecord(c) && c['type'] === 'Ready')
    : undefined;
  const status = isRecord(ready) ? ready['status'] : undefined;
  const base = status === 'True' ? 'Ready' : status === 'False' ? 'NotReady' : 'Unknown';
  return field(object, 'spec', 'unschedulable') === true ? `${base},SchedulingDisabled` : base;
}

function servicePorts(object: KubeObject): string {
  const ports = field(object, 'spec', 'ports');
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return ports
    .filter(isRecord)
    .map((port) => `${String(port['port'])}/${text(port['protocol'], 'TCP')}`)
    .join(',');
}

/**
 * The value at a simple JSONPath (`.spec.size`, `.status.items[0].name`); `undefined` for
 * anything else (filters, wildcards), which kubectl shows as an empty cell.
 */
export function simpleJsonPath(object: unknown, path: string): unknown {
  if (!/^(\.[A-Za-z0-9_-]+(\[\d+\])*)+$/.test(path)) return undefined;
  let current: unknown = object;
  for (const match of path.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) {
    if (match[1] !== undefined) current = isRecord(current) ? current[match[1]] : undefined;
    else current = Array.isArray(current) ? (current as unknown[])[Number(match[2])] : undefined;
  }
  return current;
}

/** A CRD column's cell as kube-apiserver's tableconvertor makes it: null when the path finds nothing. */
function printerCell(column: PrinterColumn, value: unknown, now: number): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  switch (column.type) {
    case 'string':
      return text(value, '');
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const time = Date.parse(value);
      return Number.isNaN(time) ? '<invalid>' : humanDuration(now - time);
    }
    default:
      return null;
  }
}

function printerColumn(column: PrinterColumn): Column {
  return {
    name: column.name,
    type: column.type,
    format: column.format,
    description:
      column.description === ''
        ? `Custom resource definition column (in JSONPath format): ${column.jsonPath}`
        : column.description,
    priority: column.priority,
    cell: (object, now) => printerCell(column, simpleJsonPath(object, column.jsonPath), now),
  };
}

/** The column kube-apiserver serves for a CRD version that declares none. */
const CREATED: PrinterColumn = {
  name: 'Age',
  type: 'date',
  format: '',
  jsonPath: '.metadata.creationTimestamp',
  description: '',
  priority: 0,
};

/** The columns kube-apiserver prints for a type (the common ones; others get Name and Age). */
function columnsFor(type: ResourceType): Column[] {
  if (type.custom) {
    const declared = type.printerColumns.length === 0 ? [CREATED] : type.printerColumns;
    return [NAME, ...declared.map(printerColumn)];
  }
  switch (`${type.group}/${type.plural}`) {
    case 'coordination.k8s.io/leases':
      return [NAME, column('Holder', (o) => text(field(o, 'spec', 'holderIdentity'), '')), AGE];
    case '/pods':
      return [
        NAME,
        column('Ready', (o) => {
          const containers = field(o, 'spec', 'containers');
          const statuses = field(o, 'status', 'containerStatuses');
          const ready = Array.isArray(statuses)
            ? statuses.filter((s) => isRecord(s) && s['ready'] === true).length
            : 0;
          return `${ready}/${Array.isArray(containers) ? containers.length : 0}`;
        }),
        column('Status', podStatus),
        column('Restarts', () => 0, 'integer'),
        AGE,
        column('Node', (o) => text(field(o, 'spec', 'nodeName')), 'string', 1),
      ];
    case '/nodes':
      return [
        NAME,
        column('Status', nodeStatus),
        column('Roles', () => '<none>'),
        AGE,
        column('Version', () => ''),
      ];
    case '/namespaces':
      return [NAME, column('Status', (o) => text(field(o, 'status', 'phase'), '')), AGE];
    case '/configmaps':
      return [NAME, column('Data', (o) => count(o['data']) + count(o['binaryData']), 'integer'), AGE];
    case '/secrets':
      return [
        NAME,
        column('Type', (o) => text(o['type'], '')),
        column('Data', (o) => count(o['data']), 'integer'),
        AGE,
      ];
    case '/services':
      return [
        NAME,
        column('Type', (o) => text(field(o, 'spec', 'type'), '')),
        column('Cluster-IP', (o) => text(field(o, 'spec', 'clusterIP'))),
        column('External-IP', () => '<none>'),
        column('Port(s)', servicePorts),
        AGE,
      ];
    case '/events':
      return [
        column('Last Seen', (o, now) => {
          const seen =
            text(field(o, 'lastTimestamp'), '') ||
            text(field(o, 'eventTime'), '') ||
            (o.metadata.creationTimestamp ?? '');
          const time = Date.parse(seen);
          return Number.isNaN(time) ? '<unknown>' : humanDuration(now - time);
        }),
        column('Type', (o) => text(o['type'], '')),
        column('Reason', (o) => text(o['reason'], '')),
        column('Object', (o) => {
          const kind = text(field(o, 'involvedObject', 'kind'), '').toLowerCase();
          return `${kind}/${text(field(o, 'involvedObject', 'name'), '')}`;
        }),
        column('Message', (o) => text(o['message'], '')),
        { ...NAME, priority: 1 },
      ];
    case 'apps/deployments':
      return [
        NAME,
        column(
          'Ready',
          (o) =>
            `${Number(field(o, 'status', 'readyReplicas') ?? 0)}/${Number(field(o, 'spec', 'replicas') ?? 0)}`,
        ),
        column('Up-to-date', (o) => Number(field(o, 'status', 'updatedReplicas') ?? 0), 'integer'),
        column('Available', (o) => Number(field(o, 'status', 'availableReplicas') ?? 0), 'integer'),
        AGE,
      ];
    default:
      return operatorColumns(`${type.group}/${type.plural}`) ?? [NAME, AGE];
  }
}

function rowObject(object: KubeObject, include: IncludeObject): unknown {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return object;
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
  }
}

/** A `meta.k8s.io/v1` Table of `objects`, with column definitions unless `withHeaders` is false. */
export function toTable(
  type: ResourceType,
  objects: readonly KubeObject[],
  listMetadata: Record<string, unknown>,
  include: IncludeObject,
  withHeaders = true,
): unknown {
  const columns = columnsFor(type);
  const now = wallClock();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMetadata,
    columnDefinitions: withHeaders
      ? columns.map(({ name, type: columnType, format, description, priority }) => ({
          name,
          type: columnType,
          format,
          description,
          priority,
        }))
      : [],
    rows: objects.map((object) => {
      const row: Record<string, unknown> = { cells: columns.map((c) => c.cell(object, now)) };
      const embedded = rowObject(object, include);
      if (embedded !== undefined) row['object'] = embedded;
      return row;
    }),
  };
}

/** The `includeObject` parameter; 400-free: anything unknown means Metadata. */
export function includeObjectParam(value: string | null): IncludeObject {
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

import {
  duplicateValue,
  forbiddenValue,
  invalidValue,
  requiredValue,
  unsupportedValue,
} from './api-error.js';
import type { StatusCause } from './api-error.js';
import { isRecord, jsonEqual } from './kube-object.js';
import type { KubeObject } from './kube-object.js';
import { recordAt } from './pod-defaults.js';
import { nameProblem } from './validation.js';

const PORT_RANGE = 'must be between 1 and 65535, inclusive';
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** IsValidPortName's complaints about a named port (`targetPort` given as a string). */
export function portNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length > 15) problems.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) {
    problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  }
  if (!/[a-z]/.test(name)) problems.push('must contain at least one letter (a-z)');
  if (name.includes('--')) problems.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) problems.push('must not begin or end with a hyphen');
  return problems;
}

function portNumberCauses(field: string, value: unknown): StatusCause[] {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return [];
  return [invalidValue(field, value ?? 0, PORT_RANGE)];
}

function portCauses(
  port: Record<string, unknown>,
  path: string,
  requireName: boolean,
  names: Set<string>,
): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = typeof port['name'] === 'string' ? port['name'] : '';
  if (requireName && name === '') causes.push(requiredValue(`${path}.name`));
  else if (name !== '') {
    const problem = nameProblem(name, 'label');
    if (problem) causes.push(invalidValue(`${path}.name`, name, problem));
    if (names.has(name)) causes.push(duplicateValue(`${path}.name`, JSON.stringify(name)));
    else names.add(name);
  }
  causes.push(...portNumberCauses(`${path}.port`, port['port']));
  const protocol = port['protocol'];
  if (protocol === undefined || protocol === '') causes.push(requiredValue(`${path}.protocol`));
  else if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol)) {
    causes.push(unsupportedValue(`${path}.protocol`, protocol, PROTOCOLS));
  }
  const target = port['targetPort'];
  if (typeof target === 'string') {
    for (const problem of portNameProblems(target))
      causes.push(invalidValue(`${path}.targetPort`, target, problem));
  } else causes.push(...portNumberCauses(`${path}.targetPort`, target));
  return causes;
}

/** How kube-apiserver prints the (protocol, port) key of a duplicate Service port (Go `%#v`). */
function printedPortKey(protocol: unknown, port: unknown): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol ?? '')}, AppProtocol:(*string)(nil), Port:${typeof port === 'number' ? port : 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

/**
 * kube-apiserver's ValidateService for what an operator's manifest meets: ports (required unless
 * headless or ExternalName; names, numbers, protocols, target ports, duplicates, no nodePort on a
 * ClusterIP Service), the type, and
 * ExternalName's `externalName` and empty `clusterIP`; on update, `clusterIP` is immutable.
 */
export function serviceCauses(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = recordAt(object, 'spec') ?? {};
  const before = recordAt(old, 'spec');
  const type = spec['type'];
  if (
    before?.['clusterIP'] !== undefined &&
    before['clusterIP'] !== '' &&
    before['type'] !== 'ExternalName' &&
    type !== 'ExternalName' &&
    !jsonEqual(before['clusterIP'], spec['clusterIP'])
  ) {
    causes.push(invalidValue('spec.clusterIP', spec['clusterIP'] ?? '', 'field is immutable'));
  }
  const ports = Array.isArray(spec['ports']) ? (spec['ports'] as unknown[]) : [];
  if (ports.length === 0 && spec['clusterIP'] !== 'None' && type !== 'ExternalName') {
    causes.push(requiredValue('spec.ports'));
  }
  if (type === 'ExternalName') {
    if (spec['clusterIP'] !== undefined && spec['clusterIP'] !== '') {
      causes.push(forbiddenValue('spec.clusterIP', 'must be empty for ExternalName services'));
    }
    const externalName = spec['externalName'];
    if (typeof externalName !== 'string' || externalName === '')
      causes.push(requiredValue('spec.externalName'));
    else {
      const problem = nameProblem(externalName, 'subdomain');
      if (problem) causes.push(invalidValue('spec.externalName', externalName, problem));
    }
  }
  const names = new Set<string>();
  ports.forEach((port, index) => {
    causes.push(...portCauses(isRecord(port) ? port : {}, `spec.ports[${index}]`, ports.length > 1, names));
  });
  if (type === undefined || type === '') causes.push(requiredValue('spec.type'));
  else if (typeof type !== 'string' || !SERVICE_TYPES.includes(type)) {
    causes.push(unsupportedValue('spec.type', type, SERVICE_TYPES));
  }
  if (type === 'ClusterIP') {
    ports.forEach((port, index) => {
      const nodePort = isRecord(port) ? port['nodePort'] : undefined;
      if (nodePort !== undefined && nodePort !== null && nodePort !== 0) {
        causes.push(
          forbiddenValue(`spec.ports[${index}].nodePort`, "may not be used when `type` is 'ClusterIP'"),
        );
      }
    });
  }
  const seen = new Set<string>();
  ports.forEach((port, index) => {
    const entry = isRecord(port) ? port : {};
    const key = printedPortKey(entry['protocol'], entry['port']);
    if (seen.has(key)) causes.push(duplicateValue(`spec.ports[${index}]`, key));
    else seen.add(key);
  });
  return causes;
}

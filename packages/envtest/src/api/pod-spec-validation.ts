import { duplicateValue, invalidValue, requiredValue, unsupportedValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import { isRecord } from './kube-object.js';
import { recordAt } from './pod-defaults.js';
import { nameProblem } from './validation.js';

const PORT_RANGE = 'must be between 1 and 65535, inclusive';

/** kube-apiserver's checks of one container's name, image and ports. */
function containerCauses(container: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const entry = isRecord(container) ? container : {};
  const name = entry['name'];
  if (typeof name !== 'string' || name === '') causes.push(requiredValue(`${path}.name`));
  else {
    const problem = nameProblem(name, 'label');
    if (problem) causes.push(invalidValue(`${path}.name`, name, problem));
  }
  const image = entry['image'];
  if (typeof image !== 'string' || image === '') causes.push(requiredValue(`${path}.image`));
  const ports = entry['ports'];
  if (Array.isArray(ports)) {
    ports.forEach((port: unknown, index) => {
      const portPath = `${path}.ports[${index}]`;
      const number = isRecord(port) ? port['containerPort'] : undefined;
      if (number === undefined || number === null || number === 0) {
        causes.push(requiredValue(`${portPath}.containerPort`));
      } else if (typeof number !== 'number' || number < 1 || number > 65535) {
        causes.push(invalidValue(`${portPath}.containerPort`, number, PORT_RANGE));
      }
    });
  }
  return causes;
}

/** Names must be unique across containers and init containers: the later one is the duplicate. */
function checkName(container: unknown, path: string, names: Set<string>, causes: StatusCause[]): void {
  const name = isRecord(container) && typeof container['name'] === 'string' ? container['name'] : '';
  if (names.has(name)) causes.push(duplicateValue(`${path}.name`, JSON.stringify(name)));
  else names.add(name);
}

/**
 * kube-apiserver's validation of the containers of a PodSpec at `path` (`spec` of a Pod,
 * `spec.template.spec` of a workload): at least one container; each with a DNS-1123 label name,
 * an image and valid container ports; names unique across containers and init containers.
 */
export function podSpecCauses(spec: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const containers = isRecord(spec) ? spec['containers'] : undefined;
  const names = new Set<string>();
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push(requiredValue(`${path}.containers`));
  } else {
    containers.forEach((container: unknown, index) => {
      const containerPath = `${path}.containers[${index}]`;
      causes.push(...containerCauses(container, containerPath));
      checkName(container, containerPath, names, causes);
    });
  }
  const initContainers = isRecord(spec) ? spec['initContainers'] : undefined;
  if (Array.isArray(initContainers)) {
    initContainers.forEach((container: unknown, index) => {
      const containerPath = `${path}.initContainers[${index}]`;
      causes.push(...containerCauses(container, containerPath));
      checkName(container, containerPath, names, causes);
    });
  }
  return causes;
}

/**
 * The pod template of a Deployment, ReplicaSet, StatefulSet or DaemonSet at `path`: its pod spec
 * and `restartPolicy: Always`, the only policy these controllers run.
 */
export function workloadTemplateCauses(
  template: Record<string, unknown> | undefined,
  path: string,
): StatusCause[] {
  const spec = recordAt(template, 'spec');
  const causes = podSpecCauses(spec ?? {}, `${path}.spec`);
  const policy = spec?.['restartPolicy'];
  if (policy !== undefined && policy !== 'Always') {
    causes.push(unsupportedValue(`${path}.spec.restartPolicy`, policy, ['Always']));
  }
  return causes;
}

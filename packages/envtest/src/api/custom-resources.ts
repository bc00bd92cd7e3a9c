import { wallClock } from '../wall-clock.js';
import { invalidValue, requiredValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import { formatTime, isRecord, jsonEqual } from './kube-object.js';
import type { KubeObject } from './kube-object.js';
import { resourceType } from './resource-type.js';
import type { PrinterColumn, ResourceType, ScaleSubresource } from './resource-type.js';
import { CustomResourceSchema } from '../schema/custom-resource-schema.js';
import { versionSchema } from '../schema/openapi-schema.js';
import { structuralSchemaCauses } from '../schema/structural-schema.js';
import { customResourceShape } from '../apply/shape.js';

interface CrdNames {
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly shortNames: string[];
  readonly categories: string[];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function namesOf(spec: Record<string, unknown>): CrdNames {
  const names = isRecord(spec['names']) ? spec['names'] : {};
  const kind = typeof names['kind'] === 'string' ? names['kind'] : '';
  return {
    plural: typeof names['plural'] === 'string' ? names['plural'] : '',
    singular: typeof names['singular'] === 'string' ? names['singular'] : kind.toLowerCase(),
    kind,
    listKind: typeof names['listKind'] === 'string' ? names['listKind'] : `${kind}List`,
    shortNames: strings(names['shortNames']),
    categories: strings(names['categories']),
  };
}

/** Validation of a CustomResourceDefinition (the parts envtest relies on). */
export function validateCrd(crd: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const group = spec['group'];
  const names = namesOf(spec);
  if (typeof group !== 'string' || !group.includes('.')) {
    causes.push(invalidValue('spec.group', group ?? '', 'should be a domain with at least one dot'));
  }
  if (!names.plural) causes.push(requiredValue('spec.names.plural'));
  if (!names.kind) causes.push(requiredValue('spec.names.kind'));
  if (spec['scope'] !== 'Namespaced' && spec['scope'] !== 'Cluster') {
    causes.push(invalidValue('spec.scope', spec['scope'] ?? '', 'supported values: "Cluster", "Namespaced"'));
  }
  const versions: unknown[] = Array.isArray(spec['versions']) ? spec['versions'] : [];
  if (versions.length === 0)
    causes.push(
      requiredValue(
        'spec.versions',
        'Invalid value: must have exactly one version marked as storage version',
      ),
    );
  const storage = versions.filter((v) => isRecord(v) && v['storage'] === true).length;
  if (versions.length > 0 && storage !== 1) {
    causes.push(
      invalidValue(
        'spec.versions',
        versions.length,
        'must have exactly one version marked as storage version',
      ),
    );
  }
  // Schemas identical in every version are one schema to kube-apiserver (its internal
  // spec.validation), and their causes are named there.
  const schemas = versions.map((version) => (isRecord(version) ? versionSchema(version) : undefined));
  const [first] = schemas;
  const shared =
    first !== undefined && schemas.every((schema) => schema !== undefined && jsonEqual(schema, first))
      ? first
      : undefined;
  versions.forEach((version, index) => {
    if (!isRecord(version) || typeof version['name'] !== 'string' || !version['name']) {
      causes.push(requiredValue(`spec.versions[${index}].name`));
    }
    if (!isRecord(version)) return;
    const schema = schemas[index];
    const path = `spec.versions[${index}].schema.openAPIV3Schema`;
    if (schema === undefined) causes.push(requiredValue(path, 'Required value: schemas are required'));
    else if (shared === undefined) causes.push(...structuralSchemaCauses(schema, path));
  });
  if (shared !== undefined) causes.push(...structuralSchemaCauses(shared, 'spec.validation.openAPIV3Schema'));
  if (typeof group === 'string' && names.plural && crd.metadata.name !== `${names.plural}.${group}`) {
    causes.push(
      invalidValue('metadata.name', crd.metadata.name ?? '', `must be spec.names.plural+"."+spec.group`),
    );
  }
  return causes;
}

/** The finalizer under which apiextensions-apiserver deletes a CRD's objects. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** The status a CRD gets when it is established (at once, in envtest), and its cleanup finalizer. */
export function establishCrd(crd: KubeObject): void {
  const finalizers = crd.metadata.finalizers ?? [];
  if (!finalizers.includes(CRD_CLEANUP_FINALIZER))
    crd.metadata.finalizers = [...finalizers, CRD_CLEANUP_FINALIZER];
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const names = namesOf(spec);
  const versions: unknown[] = Array.isArray(spec['versions']) ? spec['versions'] : [];
  const storageVersion = versions.find((v) => isRecord(v) && v['storage'] === true);
  const now = formatTime(wallClock());
  const condition = (type: string, reason: string, message: string): Record<string, string> => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  crd['status'] = {
    acceptedNames: {
      plural: names.plural,
      singular: names.singular,
      kind: names.kind,
      listKind: names.listKind,
      ...(names.shortNames.length > 0 ? { shortNames: names.shortNames } : {}),
      ...(names.categories.length > 0 ? { categories: names.categories } : {}),
    },
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions:
      isRecord(storageVersion) && typeof storageVersion['name'] === 'string' ? [storageVersion['name']] : [],
  };
}

function scaleOf(value: unknown): { scale?: ScaleSubresource } {
  if (!isRecord(value) || typeof value['specReplicasPath'] !== 'string') return {};
  const statusReplicasPath =
    typeof value['statusReplicasPath'] === 'string' ? value['statusReplicasPath'] : '.status.replicas';
  const labelSelectorPath = value['labelSelectorPath'];
  return {
    scale: {
      specReplicasPath: value['specReplicasPath'],
      statusReplicasPath,
      ...(typeof labelSelectorPath === 'string' ? { labelSelectorPath } : {}),
    },
  };
}

function printerColumns(value: unknown): PrinterColumn[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((column) => ({
    name: typeof column['name'] === 'string' ? column['name'] : '',
    type: typeof column['type'] === 'string' ? column['type'] : 'string',
    format: typeof column['format'] === 'string' ? column['format'] : '',
    jsonPath: typeof column['jsonPath'] === 'string' ? column['jsonPath'] : '',
    description: typeof column['description'] === 'string' ? column['description'] : '',
    priority: typeof column['priority'] === 'number' ? column['priority'] : 0,
  }));
}

/** The resource types a CRD serves: one per served version, all sharing one storage. */
export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const group = typeof spec['group'] === 'string' ? spec['group'] : '';
  const names = namesOf(spec);
  const versions: unknown[] = Array.isArray(spec['versions']) ? spec['versions'] : [];
  return versions
    .filter((version): version is Record<string, unknown> => isRecord(version) && version['served'] !== false)
    .map((version) => {
      const subresources = isRecord(version['subresources']) ? version['subresources'] : {};
      const openApi = versionSchema(version);
      const schema = openApi === undefined ? undefined : new CustomResourceSchema(openApi);
      return resourceType({
        group,
        version: typeof version['name'] === 'string' ? version['name'] : '',
        plural: names.plural,
        kind: names.kind,
        singular: names.singular,
        listKind: names.listKind,
        namespaced: spec['scope'] === 'Namespaced',
        shortNames: names.shortNames,
        categories: names.categories,
        statusSubresource: isRecord(subresources['status']),
        tracksGeneration: true,
        strategicMergePatch: false,
        custom: true,
        printerColumns: printerColumns(version['additionalPrinterColumns']),
        ...scaleOf(subresources['scale']),
        shape: customResourceShape(openApi),
        ...(schema === undefined
          ? {}
          : {
              schema,
              normalize: (object: KubeObject) => {
                schema.normalize(object);
              },
              validate: (object: KubeObject, old: KubeObject | undefined) => schema.validate(object, old),
            }),
      });
    });
}

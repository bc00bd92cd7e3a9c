import type { QualifiedResource, StatusCause } from './api-error.js';
import type { KubeObject } from './kube-object.js';
import type { CustomResourceSchema } from '../schema/custom-resource-schema.js';
import type { Shape } from '../apply/shape.js';

/** Where a resource with a `scale` subresource keeps its replicas (simple JSONPaths). */
export interface ScaleSubresource {
  readonly specReplicasPath: string;
  readonly statusReplicasPath: string;
  /** Path of a label selector string; for Deployments the selector is built from matchLabels. */
  readonly labelSelectorPath?: string;
}

/** One of a CRD's `additionalPrinterColumns`. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly format: string;
  readonly jsonPath: string;
  readonly description: string;
  readonly priority: number;
}

/** How `metadata.name` is validated, as kube-apiserver does for each type. */
export type NameRule = 'subdomain' | 'label' | 'label1035' | 'pathSegment';

/**
 * One served resource of one API version: its names, its scope and how the server treats its
 * objects (kube-apiserver's `RESTCreateStrategy` / `RESTUpdateStrategy`).
 */
export interface ResourceType extends QualifiedResource {
  readonly version: string;
  /** `group/version`, or `version` for the core group. */
  readonly apiVersion: string;
  readonly singular: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Objects of every version of one resource share this storage id (`group/plural`). */
  readonly storageId: string;
  readonly statusSubresource: boolean;
  /**
   * With a status subresource, `status` sent on create is dropped (before `prepareCreate`) unless
   * this is set: Nodes keep theirs, as kubelets register with it.
   */
  readonly keepsStatusOnCreate: boolean;
  /** `metadata.generation` is set and bumped when anything but metadata and status changes. */
  readonly tracksGeneration: boolean;
  /** PUT of a missing object creates it (Leases, Events) instead of answering 404. */
  readonly allowCreateOnUpdate: boolean;
  /** PUT without `metadata.resourceVersion` is allowed (it is 422 for Leases). */
  readonly allowUnconditionalUpdate: boolean;
  /** Strategic merge patch is served (built-in types); custom resources answer 415. */
  readonly strategicMergePatch: boolean;
  readonly nameRule: NameRule;
  /** Field selector labels served besides `metadata.name` and `metadata.namespace`. */
  readonly fieldLabels: readonly string[];
  /** Fills defaults into a new object (a private copy the function may change). */
  readonly prepareCreate?: (object: KubeObject) => void;
  /** Carries what an update may leave out over from the stored object (a Service's clusterIP). */
  readonly prepareUpdate?: (object: KubeObject, old: KubeObject) => void;
  /** RBAC verbs discovery lists; default every verb. */
  readonly verbs?: readonly string[];
  /** Type-specific validation of a new or updated object. */
  readonly validate?: (object: KubeObject, old: KubeObject | undefined) => StatusCause[];
  /**
   * Defaults and normalises a written object (every create, update and patch, as kube-apiserver
   * defaults on decoding), e.g. MicroTime; may throw an ApiError.
   */
  readonly normalize?: (object: KubeObject) => void;
  /** The schema of a CRD version (pruning, defaults, validation), used for list map keys too. */
  readonly schema?: CustomResourceSchema;
  /**
   * For a version stored in another version's form (events.k8s.io/v1 Events are stored as core
   * v1 Events): converts a stored object to this version (must cache: called on every read).
   */
  readonly fromStorage?: (stored: KubeObject) => KubeObject;
  /** Converts an object of this version to the storage form. */
  readonly toStorage?: (object: KubeObject) => KubeObject;
  /** How field ownership (managedFields, server-side apply) sees the kind's fields. */
  readonly shape?: Shape;
  /** True for resources served because of a CustomResourceDefinition. */
  readonly custom: boolean;
  /** The `scale` subresource (autoscaling/v1 Scale), where the replica counts live. */
  readonly scale?: ScaleSubresource;
  /** A CRD version's `additionalPrinterColumns`, shown by `kubectl get`. */
  readonly printerColumns: readonly PrinterColumn[];
}

/** The fields of a ResourceType that have a default in `resourceType`. */
export type ResourceTypeInit = Pick<ResourceType, 'group' | 'version' | 'plural' | 'kind' | 'namespaced'> &
  Partial<Omit<ResourceType, 'group' | 'version' | 'plural' | 'kind' | 'namespaced' | 'apiVersion'>>;

/** A ResourceType with every unset field defaulted as for a plain built-in type. */
export function resourceType(init: ResourceTypeInit): ResourceType {
  return {
    apiVersion: init.group ? `${init.group}/${init.version}` : init.version,
    singular: init.kind.toLowerCase(),
    listKind: `${init.kind}List`,
    shortNames: [],
    categories: [],
    storageId: `${init.group}/${init.plural}`,
    statusSubresource: false,
    keepsStatusOnCreate: false,
    tracksGeneration: false,
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: true,
    strategicMergePatch: true,
    nameRule: 'subdomain',
    fieldLabels: [],
    custom: false,
    printerColumns: [],
    ...init,
  };
}

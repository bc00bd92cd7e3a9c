import { invalidValue, requiredValue, unsupportedValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import type { KubeObject } from './kube-object.js';
import {
  defaultPodTemplate,
  immutableSelector,
  record,
  recordAt,
  selectorMatchesTemplate,
} from './pod-defaults.js';
import { podSpecCauses, workloadTemplateCauses } from './pod-spec-validation.js';
import { resourceType } from './resource-type.js';
import { jobUpdateCauses, statefulSetUpdateCauses } from './workload-updates.js';

function workloadCauses(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const causes = [...immutableSelector(object, old)];
  const spec = recordAt(object, 'spec');
  if (recordAt(spec, 'selector') === undefined) causes.push(requiredValue('spec.selector'));
  else causes.push(...selectorMatchesTemplate(object));
  const replicas = spec?.['replicas'];
  if (typeof replicas === 'number' && replicas < 0) {
    causes.push(invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0'));
  }
  causes.push(...workloadTemplateCauses(recordAt(spec, 'template'), 'spec.template'));
  return causes;
}

export const statefulSets = resourceType({
  group: 'apps',
  version: 'v1',
  plural: 'statefulsets',
  kind: 'StatefulSet',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  statusSubresource: true,
  tracksGeneration: true,
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
  normalize(object) {
    const spec = record(object, 'spec');
    spec['replicas'] ??= 1;
    spec['podManagementPolicy'] ??= 'OrderedReady';
    spec['revisionHistoryLimit'] ??= 10;
    spec['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    spec['persistentVolumeClaimRetentionPolicy'] ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
    defaultPodTemplate(recordAt(spec, 'template'));
  },
  prepareCreate(object) {
    object['status'] = { replicas: 0, availableReplicas: 0 };
  },
  validate(object, old) {
    return [...workloadCauses(object, old), ...statefulSetUpdateCauses(object, old)];
  },
});

export const replicaSets = resourceType({
  group: 'apps',
  version: 'v1',
  plural: 'replicasets',
  kind: 'ReplicaSet',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  statusSubresource: true,
  tracksGeneration: true,
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
  normalize(object) {
    const spec = record(object, 'spec');
    spec['replicas'] ??= 1;
    defaultPodTemplate(recordAt(spec, 'template'));
  },
  prepareCreate(object) {
    object['status'] = { replicas: 0 };
  },
  validate: workloadCauses,
});

export const daemonSets = resourceType({
  group: 'apps',
  version: 'v1',
  plural: 'daemonsets',
  kind: 'DaemonSet',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  statusSubresource: true,
  tracksGeneration: true,
  normalize(object) {
    const spec = record(object, 'spec');
    spec['revisionHistoryLimit'] ??= 10;
    spec['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
    defaultPodTemplate(recordAt(spec, 'template'));
  },
  prepareCreate(object) {
    object['status'] = {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    };
  },
  validate: workloadCauses,
});

function jobTemplateCauses(spec: Record<string, unknown> | undefined, path: string): StatusCause[] {
  const podSpec = recordAt(spec, 'template', 'spec');
  const causes = podSpecCauses(podSpec ?? {}, `${path}.template.spec`);
  const policy = podSpec?.['restartPolicy'];
  const field = `${path}.template.spec.restartPolicy`;
  // kube-apiserver defaults an unset policy to Always, then refuses Always as required-but-missing.
  if (policy === undefined || policy === '' || policy === 'Always') {
    causes.push(requiredValue(field, 'Required value: valid values: "OnFailure", "Never"'));
  } else if (policy !== 'OnFailure' && policy !== 'Never') {
    causes.push(unsupportedValue(field, policy, ['OnFailure', 'Never']));
  }
  return causes;
}

function defaultJobSpec(spec: Record<string, unknown>): void {
  spec['parallelism'] ??= 1;
  spec['backoffLimit'] ??= 6;
  spec['completionMode'] ??= 'NonIndexed';
  spec['suspend'] ??= false;
  spec['podReplacementPolicy'] ??= 'TerminatingOrFailed';
  if (spec['completions'] === undefined && spec['parallelism'] === 1) spec['completions'] = 1;
  const template = recordAt(spec, 'template');
  const podSpec = recordAt(template, 'spec');
  // Jobs have no default restartPolicy: kube-apiserver requires OnFailure or Never.
  if (podSpec !== undefined && podSpec['restartPolicy'] === undefined) {
    defaultPodTemplate(template);
    delete podSpec['restartPolicy'];
  } else defaultPodTemplate(template);
}

export const jobs = resourceType({
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  kind: 'Job',
  namespaced: true,
  categories: ['all'],
  statusSubresource: true,
  tracksGeneration: true,
  normalize(object) {
    defaultJobSpec(record(object, 'spec'));
  },
  prepareCreate(object) {
    // The selector and pod labels a Job controller matches its Pods by, from the Job's uid.
    const spec = record(object, 'spec');
    const uid = object.metadata.uid ?? '';
    const name = object.metadata.name ?? '';
    if (spec['manualSelector'] !== true) {
      spec['selector'] = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      const metadata = record(record(spec, 'template'), 'metadata');
      metadata['labels'] = {
        ...(recordAt(metadata, 'labels') as Record<string, string> | undefined),
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': name,
        'controller-uid': uid,
        'job-name': name,
      };
    }
    object['status'] = {};
  },
  validate(object, old) {
    return [
      ...immutableSelector(object, old),
      ...jobTemplateCauses(recordAt(object, 'spec'), 'spec'),
      ...jobUpdateCauses(object, old),
    ];
  },
});

export const cronJobs = resourceType({
  group: 'batch',
  version: 'v1',
  plural: 'cronjobs',
  kind: 'CronJob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  statusSubresource: true,
  tracksGeneration: true,
  normalize(object) {
    const spec = record(object, 'spec');
    spec['concurrencyPolicy'] ??= 'Allow';
    spec['suspend'] ??= false;
    spec['successfulJobsHistoryLimit'] ??= 3;
    spec['failedJobsHistoryLimit'] ??= 1;
    defaultJobSpec(record(record(spec, 'jobTemplate'), 'spec'));
  },
  prepareCreate(object) {
    object['status'] = {};
  },
  validate(object) {
    const spec = recordAt(object, 'spec');
    const causes: StatusCause[] = [];
    if (typeof spec?.['schedule'] !== 'string' || spec['schedule'] === '')
      causes.push(requiredValue('spec.schedule'));
    causes.push(...jobTemplateCauses(recordAt(spec, 'jobTemplate', 'spec'), 'spec.jobTemplate.spec'));
    return causes;
  },
});

export const podDisruptionBudgets = resourceType({
  group: 'policy',
  version: 'v1',
  plural: 'poddisruptionbudgets',
  kind: 'PodDisruptionBudget',
  namespaced: true,
  shortNames: ['pdb'],
  statusSubresource: true,
  tracksGeneration: true,
  prepareCreate(object) {
    object['status'] = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
  validate(object) {
    const spec = recordAt(object, 'spec');
    if (spec?.['minAvailable'] !== undefined && spec['maxUnavailable'] !== undefined) {
      return [invalidValue('spec', spec, 'minAvailable and maxUnavailable cannot be both set')];
    }
    return [];
  },
});

import { invalidPrinted, requiredValue, unsupportedValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import { isRecord } from './kube-object.js';
import type { KubeObject } from './kube-object.js';
import { recordAt } from './pod-defaults.js';
import { nameProblem } from './validation.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A string slice as Go's `%#v` prints it: `[]string{"a", "b"}`. */
function goStrings(values: readonly string[]): string {
  return `[]string{${values.map((value) => JSON.stringify(value)).join(', ')}}`;
}

/** kube-apiserver's ValidatePolicyRule for `rules[index]`. */
function ruleCauses(rule: unknown, path: string, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const entry = isRecord(rule) ? rule : {};
  if (strings(entry['verbs']).length === 0) {
    causes.push(requiredValue(`${path}.verbs`, 'Required value: verbs must contain at least one value'));
  }
  const urls = strings(entry['nonResourceURLs']);
  const apiGroups = strings(entry['apiGroups']);
  const resources = strings(entry['resources']);
  if (urls.length > 0) {
    if (namespaced) {
      causes.push(
        invalidPrinted(
          `${path}.nonResourceURLs`,
          goStrings(urls),
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    }
    if (apiGroups.length > 0 || resources.length > 0 || strings(entry['resourceNames']).length > 0) {
      causes.push(
        invalidPrinted(
          `${path}.nonResourceURLs`,
          goStrings(urls),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return causes;
  }
  if (apiGroups.length === 0) {
    causes.push(
      requiredValue(`${path}.apiGroups`, 'Required value: resource rules must supply at least one api group'),
    );
  }
  if (resources.length === 0) {
    causes.push(
      requiredValue(`${path}.resources`, 'Required value: resource rules must supply at least one resource'),
    );
  }
  return causes;
}

function rulesCauses(object: KubeObject, namespaced: boolean): StatusCause[] {
  const rules = object['rules'];
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((rule: unknown, index) => ruleCauses(rule, `rules[${index}]`, namespaced));
}

/** A Role's rules (namespaced: no non-resource URLs). */
export function roleCauses(object: KubeObject): StatusCause[] {
  return rulesCauses(object, true);
}

/** A ClusterRole's rules and aggregation rule. */
export function clusterRoleCauses(object: KubeObject): StatusCause[] {
  const causes = rulesCauses(object, false);
  const aggregation = object['aggregationRule'];
  if (isRecord(aggregation)) {
    const selectors = aggregation['clusterRoleSelectors'];
    if (!Array.isArray(selectors) || selectors.length === 0) {
      causes.push(
        requiredValue(
          'aggregationRule.clusterRoleSelectors',
          'Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    }
  }
  return causes;
}

function subjectCauses(subject: unknown, path: string, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const entry = isRecord(subject) ? subject : {};
  const name = typeof entry['name'] === 'string' ? entry['name'] : '';
  const apiGroup = typeof entry['apiGroup'] === 'string' ? entry['apiGroup'] : '';
  if (name === '') causes.push(requiredValue(`${path}.name`));
  switch (entry['kind']) {
    case 'ServiceAccount': {
      const problem = name === '' ? undefined : nameProblem(name, 'subdomain');
      if (problem) causes.push(invalidPrinted(`${path}.name`, JSON.stringify(name), problem));
      if (apiGroup !== '') causes.push(unsupportedValue(`${path}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !entry['namespace']) causes.push(requiredValue(`${path}.namespace`));
      break;
    }
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) causes.push(unsupportedValue(`${path}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      causes.push(unsupportedValue(`${path}.kind`, entry['kind'], ['ServiceAccount', 'User', 'Group']));
  }
  return causes;
}

/** How kube-apiserver prints a RoleRef (Go `%#v` of rbac.RoleRef). */
function printedRoleRef(roleRef: Record<string, unknown> | undefined): string {
  const text = (key: string) => JSON.stringify(typeof roleRef?.[key] === 'string' ? roleRef[key] : '');
  return `rbac.RoleRef{APIGroup:${text('apiGroup')}, Kind:${text('kind')}, Name:${text('name')}}`;
}

/**
 * kube-apiserver's ValidateRoleBinding / ValidateClusterRoleBinding: the roleRef (group, kind,
 * name), every subject, and on update an unchanged roleRef.
 */
export function bindingCauses(clusterScoped: boolean) {
  return (object: KubeObject, old: KubeObject | undefined): StatusCause[] => {
    const causes: StatusCause[] = [];
    const roleRef = recordAt(object, 'roleRef');
    const apiGroup = typeof roleRef?.['apiGroup'] === 'string' ? roleRef['apiGroup'] : '';
    if (apiGroup !== RBAC_GROUP) causes.push(unsupportedValue('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
    const kinds = clusterScoped ? ['ClusterRole'] : ['Role', 'ClusterRole'];
    const kind = roleRef?.['kind'];
    if (typeof kind !== 'string' || !kinds.includes(kind))
      causes.push(unsupportedValue('roleRef.kind', kind, kinds));
    const name = roleRef?.['name'];
    if (typeof name !== 'string' || name === '') causes.push(requiredValue('roleRef.name'));
    else {
      const problem = nameProblem(name, 'pathSegment');
      if (problem) causes.push(invalidPrinted('roleRef.name', JSON.stringify(name), problem));
    }
    const subjects = object['subjects'];
    if (Array.isArray(subjects)) {
      subjects.forEach((subject: unknown, index) => {
        causes.push(...subjectCauses(subject, `subjects[${index}]`, !clusterScoped));
      });
    }
    if (old !== undefined) {
      const before = recordAt(old, 'roleRef');
      if (printedRoleRef(before) !== printedRoleRef(roleRef)) {
        causes.push(invalidPrinted('roleRef', printedRoleRef(roleRef), 'cannot change roleRef'));
      }
    }
    return causes;
  };
}

/** rbac/v1 defaults: roleRef.apiGroup, and the apiGroup of User and Group subjects. */
export function defaultBinding(object: KubeObject): void {
  const roleRef = recordAt(object, 'roleRef');
  if (roleRef !== undefined && !roleRef['apiGroup']) roleRef['apiGroup'] = RBAC_GROUP;
  const subjects = object['subjects'];
  if (!Array.isArray(subjects)) return;
  for (const subject of subjects) {
    if (!isRecord(subject) || subject['apiGroup']) continue;
    if (subject['kind'] === 'User' || subject['kind'] === 'Group') subject['apiGroup'] = RBAC_GROUP;
  }
}

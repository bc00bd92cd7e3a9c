// Writes the message tables of src/protobuf/messages/ (see kube-messages.ts for the notation) from
// a checkout of the Kubernetes API's protobuf definitions, for every kind envtest serves.
//
//   node scripts/protobuf-tables.mjs <dir>
//
// <dir> holds, as in their repositories, `generated.proto` and the Go `types*.go` of each package:
// k8s.io/api (<group>/<version>/), k8s.io/apimachinery (am/pkg/...) and k8s.io/apiextensions-apiserver
// (apiextensions/v1/). Field numbers and types come from generated.proto (parsed with protobufjs);
// the Go struct tags say what the JSON form needs that the proto does not: the JSON name where it
// differs, structs embedded inline, and `omitempty` on values Go writes even when zero.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const source = process.argv[2];
if (source === undefined) throw new Error('usage: node scripts/protobuf-tables.mjs <dir>');
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'protobuf', 'messages');

/** Proto packages read, by their short namespace in the tables. */
const PACKAGES = {
  'meta.v1': 'am/pkg/apis/meta/v1',
  runtime: 'am/pkg/runtime',
  'runtime.schema': 'am/pkg/runtime/schema',
  intstr: 'am/pkg/util/intstr',
  resource: 'am/pkg/api/resource',
  'core.v1': 'core/v1',
  'apps.v1': 'apps/v1',
  'batch.v1': 'batch/v1',
  'policy.v1': 'policy/v1',
  'rbac.v1': 'rbac/v1',
  'networking.v1': 'networking/v1',
  'discovery.v1': 'discovery/v1',
  'admissionregistration.v1': 'admissionregistration/v1',
  'coordination.v1': 'coordination/v1',
  'coordination.v1beta1': 'coordination/v1beta1',
  'events.v1': 'events/v1',
  'authorization.v1': 'authorization/v1',
  'authentication.v1': 'authentication/v1',
  'autoscaling.v1': 'autoscaling/v1',
  'scheduling.v1alpha3': 'scheduling/v1alpha3',
  'apiextensions.v1': 'apiextensions/v1',
};

/** The messages whose closure is written: every kind served, the envelope, DeleteOptions, subresource bodies. */
const ROOTS = [
  'runtime.Unknown',
  'meta.v1.DeleteOptions',
  ...'Namespace Pod Node ConfigMap Secret Service ServiceAccount PersistentVolumeClaim Endpoints Event'
    .split(' ')
    .map((kind) => `core.v1.${kind}`),
  'events.v1.Event',
  'coordination.v1.Lease',
  'coordination.v1beta1.LeaseCandidate',
  'apps.v1.Deployment',
  'apps.v1.StatefulSet',
  'apps.v1.ReplicaSet',
  'apps.v1.DaemonSet',
  'batch.v1.Job',
  'batch.v1.CronJob',
  'policy.v1.PodDisruptionBudget',
  'rbac.v1.Role',
  'rbac.v1.RoleBinding',
  'rbac.v1.ClusterRole',
  'rbac.v1.ClusterRoleBinding',
  'networking.v1.Ingress',
  'discovery.v1.EndpointSlice',
  'admissionregistration.v1.ValidatingWebhookConfiguration',
  'admissionregistration.v1.MutatingWebhookConfiguration',
  'authorization.v1.SelfSubjectAccessReview',
  'authentication.v1.TokenRequest',
  'autoscaling.v1.Scale',
  'apiextensions.v1.CustomResourceDefinition',
];

/** Messages with a JSON form of their own (protobuf-decoder.ts converts them): no closure below. */
const OPAQUE = new Set(['meta.v1.FieldsV1', 'runtime.RawExtension', 'apiextensions.v1.JSON']);

const root = new protobuf.Root();
const parsedFiles = Object.entries(PACKAGES).map(([ns, dir]) => {
  const parsed = protobuf.parse(readFileSync(join(source, dir, 'generated.proto'), 'utf8'), {
    keepCase: true,
  });
  return { ns, parsed };
});
const longToShort = new Map(parsedFiles.map(({ ns, parsed }) => [parsed.package, ns]));
/** A type reference of a proto file, in the short namespaces. */
function shortType(reference) {
  const type = reference.startsWith('.') ? reference.slice(1) : reference;
  for (const [long, short] of longToShort)
    if (type.startsWith(`${long}.`)) return `.${short}.${type.slice(long.length + 1)}`;
  return reference;
}
for (const { ns, parsed } of parsedFiles) {
  const target = root.define(ns);
  for (const nested of parsed.root.lookup(parsed.package).nestedArray) {
    if (!(nested instanceof protobuf.Type)) continue;
    const json = nested.toJSON();
    for (const field of Object.values(json.fields)) field.type = shortType(field.type);
    target.add(protobuf.Type.fromJSON(nested.name, json));
  }
}

/** Go struct tags of a package: `${Struct}.${fieldNumber}` → { json, omitempty, embedded, pointer }. */
function goTags(dir) {
  const tags = new Map();
  const path = join(source, dir);
  for (const file of readdirSync(path).filter((name) => name.endsWith('.go'))) {
    let struct;
    for (const line of readFileSync(join(path, file), 'utf8').split('\n')) {
      const slice = /^type (\w+) \[\]/.exec(line);
      if (slice) tags.set(`${slice[1]}.[]`, { json: '', omitempty: false, embedded: false, pointer: false });
      const start = /^type (\w+) struct/.exec(line);
      if (start) struct = start[1];
      const tag = /^\s*(\w+)?\s*(\S+)\s+`json:"([^"]*)"[^`]*protobuf:"\w+,(\d+)/.exec(line);
      if (!tag || struct === undefined) continue;
      const [, field, type, json] = tag;
      const [jsonName, ...options] = json.split(',');
      const embedded =
        field === undefined || type.startsWith('`') || jsonName === '' || options.includes('inline');
      tags.set(`${struct}.${tag[4]}`, {
        json: jsonName,
        omitempty: options.includes('omitempty'),
        embedded: embedded && (jsonName === '' || options.includes('inline')),
        pointer: (field === undefined ? '' : type).startsWith('*'),
      });
    }
  }
  return tags;
}
const TAGS = new Map(Object.entries(PACKAGES).map(([ns, dir]) => [ns, goTags(dir)]));

function nsOf(type) {
  return type.parent.fullName.slice(1);
}

const SCALARS = new Set(['string', 'bool', 'bytes', 'int32', 'int64', 'double', 'float']);

/** Fields whose Go struct tag was not found (written with their proto name, zero values kept). */
const untagged = [];

/** The table token of one field. */
function token(message, field) {
  const ns = nsOf(message);
  const tag = TAGS.get(ns).get(`${message.name}.${field.id}`);
  if (tag === undefined) untagged.push(`${ns}.${message.name}.${field.name}`);
  const json = tag?.json && tag.json !== '' && tag.json !== '-' ? tag.json : field.name;
  let name = json === field.name ? field.name : `${field.name}>${json}`;
  const prefix = tag?.embedded ? '...' : '';
  const typeName = (resolved) => {
    if (resolved === null) return field.type;
    const other = nsOf(resolved);
    return other === ns ? resolved.name : `${other}.${resolved.name}`;
  };
  if (field.map) {
    const value = field.resolvedType === null ? field.type : typeName(field.resolvedType);
    return `${prefix}${name}{${value === 'string' ? '' : value}}=${field.id}`;
  }
  const type = typeName(field.resolvedType);
  // Go writes non-pointer scalars even when zero; `omitempty` ones are then left out of JSON.
  const zeroOmitted = tag?.omitempty === true && !tag.pointer && field.repeated !== true && SCALARS.has(type);
  const repeated = field.repeated ? '*' : '';
  const optional = zeroOmitted ? '?' : '';
  if (tag?.embedded) name = field.name;
  return `${prefix}${name}${repeated}${optional}${type === 'string' ? '' : `:${type}`}=${field.id}`;
}

root.resolveAll();
const wanted = new Map();
function visit(name) {
  if (wanted.has(name)) return;
  const type = root.lookupType(name);
  wanted.set(name, type);
  if (OPAQUE.has(name)) return;
  for (const field of type.fieldsArray) {
    if (field.resolvedType instanceof protobuf.Type) visit(field.resolvedType.fullName.slice(1));
  }
}
for (const name of ROOTS) visit(name);

const byNamespace = new Map();
for (const [name, type] of wanted) {
  const ns = nsOf(type);
  if (!byNamespace.has(ns)) byNamespace.set(ns, []);
  byNamespace.get(ns).push([name.slice(ns.length + 1), type]);
}

/** Wraps a table over lines of at most ~100 characters. */
function wrap(name, table) {
  const key = /^\w+$/.test(name) ? name : `'${name}'`;
  const single = `  ${key}: '${table}',`;
  if (single.length <= 110) return single;
  const lines = [];
  let line = '';
  for (const part of table.split(' ')) {
    if (line !== '' && line.length + part.length + 1 > 96) {
      lines.push(`${line} `);
      line = part;
    } else line = line === '' ? part : `${line} ${part}`;
  }
  lines.push(line);
  return `  ${key}:\n${lines.map((text) => `    '${text}'`).join(' +\n')},`;
}

const files = [];
for (const [ns, messages] of [...byNamespace].sort()) {
  messages.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const entries = messages.map(([name, type]) => {
    const fields = type.fieldsArray.sort((a, b) => a.id - b.id).map((field) => token(type, field));
    // A Go slice type wrapped in a message for protobuf: its JSON form is the list itself.
    const list = TAGS.get(ns).has(`${name}.[]`) ? ['[]'] : [];
    return wrap(name, [...list, ...fields].join(' '));
  });
  // Files stay under ~450 lines: a large package is split into parts.
  const parts = [];
  let current = [];
  let lines = 0;
  for (const entry of entries) {
    const count = entry.split('\n').length;
    if (lines + count > 430 && current.length > 0) {
      parts.push(current);
      current = [];
      lines = 0;
    }
    current.push(entry);
    lines += count;
  }
  parts.push(current);
  parts.forEach((part, index) => {
    const suffix = parts.length > 1 ? `-${index + 1}` : '';
    const file = `${ns.replaceAll('.', '-')}${suffix}.ts`;
    const constant = `${ns.replace(/\.(\w)/g, (_, c) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase())}${parts.length > 1 ? `Part${index + 1}` : ''}`;
    files.push({ ns, file, constant });
    writeFileSync(
      join(out, file),
      `// Generated by scripts/protobuf-tables.mjs from the Kubernetes API's generated.proto (package ${ns}${parts.length > 1 ? `, part ${index + 1} of ${parts.length}` : ''}).\n` +
        `// Notation: see ../kube-messages.ts. Do not edit by hand; regenerate.\n\n` +
        `/** Message tables of ${ns}, by message name. */\n` +
        `export const ${constant}: Readonly<Record<string, string>> = {\n${part.join('\n')}\n};\n`,
    );
  });
}
writeFileSync(
  join(out, 'index.ts'),
  `// Generated by scripts/protobuf-tables.mjs. Do not edit by hand; regenerate.\n` +
    files
      .map(({ file, constant }) => `import { ${constant} } from './${file.replace(/\.ts$/, '.js')}';`)
      .join('\n') +
    `\n\n/** Message tables by namespace (the proto package's short name). */\n` +
    `export const PACKAGES: readonly (readonly [string, Readonly<Record<string, string>>])[] = [\n` +
    files.map(({ ns, constant }) => `  ['${ns}', ${constant}],`).join('\n') +
    `\n];\n`,
);
console.log(`${wanted.size} messages in ${files.length} files`);
if (untagged.length > 0) console.log(`fields without a Go struct tag: ${untagged.join(' ')}`);

import protobuf from 'protobufjs';
import type { IField, IMapField, INamespace, IType } from 'protobufjs';
import { ApiError } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import { messageOf, PACKAGES } from './kube-messages.js';

/** What a message's JSON form needs beyond its fields (by the message's full name). */
export interface JsonForm {
  readonly inline: ReadonlySet<string>;
  readonly omitZero: ReadonlySet<string>;
  readonly list: boolean;
  /** JSON names that differ from the proto field names. */
  readonly renamed: ReadonlyMap<string, string>;
}

const FORMS = new Map<string, JsonForm>();

/** Reads a field table of ./messages/ into a protobufjs type description. */
function describe(fullName: string, table: string): IType {
  const fields: Record<string, IField | IMapField> = {};
  const inline = new Set<string>();
  const omitZero = new Set<string>();
  const renamed = new Map<string, string>();
  let list = false;
  for (const token of table.split(/\s+/).filter((part) => part !== '')) {
    if (token === '[]') {
      list = true;
      continue;
    }
    const match = /^(\.\.\.)?(\w+)(?:>([\w$-]+))?(\*)?(\?)?(?:\{([\w.]*)\})?(?::([\w.]+))?=(\d+)$/.exec(
      token,
    );
    if (match === null) throw new Error(`protobuf message ${fullName}: bad field "${token}"`);
    const [, embedded, field = '', json, repeated, zero, mapValue, type, id] = match;
    if (json !== undefined) renamed.set(field, json);
    if (embedded !== undefined) inline.add(field);
    if (zero !== undefined) omitZero.add(field);
    fields[field] =
      mapValue !== undefined
        ? { keyType: 'string', type: mapValue === '' ? 'string' : mapValue, id: Number(id) }
        : { type: type ?? 'string', id: Number(id), ...(repeated === undefined ? {} : { rule: 'repeated' }) };
  }
  FORMS.set(fullName, { inline, omitZero, list, renamed });
  // proto2 (as Kubernetes' generated.proto): a field set to its zero value (a pointer to false or 0)
  // is on the wire and stays set.
  return { edition: 'proto2', fields };
}

/** Nested namespaces (`core.v1` → core › v1) holding the messages of each package. */
function buildRoot(): protobuf.Root {
  const nested: NonNullable<INamespace['nested']> = {};
  for (const [ns, tables] of PACKAGES) {
    let scope = nested;
    for (const part of ns.split('.')) {
      const next = (scope[part] ??= { nested: {} }) as INamespace;
      next.nested ??= {};
      scope = next.nested;
    }
    for (const [name, table] of Object.entries(tables)) scope[name] = describe(`${ns}.${name}`, table);
  }
  return protobuf.Root.fromJSON({ nested });
}

let root: protobuf.Root | undefined;

/** The protobufjs type of a message (`ns.Name`), if described. */
export function lookup(name: string): protobuf.Type | undefined {
  root ??= buildRoot();
  const found = root.lookup(name);
  return found instanceof protobuf.Type ? found : undefined;
}

/** The JSON form of a message (`ns.Name`) beyond its fields, once `lookup` has built the types. */
export function jsonFormOf(name: string): JsonForm | undefined {
  return FORMS.get(name);
}

/** A `metav1.Time` (whole seconds) or `metav1.MicroTime` (6 fractional digits) as JSON. */
function time(value: Record<string, unknown>, micro: boolean): string | null {
  const seconds = Number(value['seconds'] ?? 0);
  const nanos = Number(value['nanos'] ?? 0);
  if (seconds === 0 && nanos === 0) return null;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${whole}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${whole}Z`;
}

/** Raw JSON bytes (base64 after protobufjs' toObject) as their value. */
function rawJson(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return null;
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw malformed('a raw JSON field holds no JSON');
  }
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

/** A decoded message as Kubernetes JSON: well-known types as their JSON forms, inline structs flattened. */
function toJson(value: unknown, type: protobuf.Type): unknown {
  if (!isRecord(value)) return value;
  const name = type.fullName.slice(1);
  switch (name) {
    case 'meta.v1.Time':
      return time(value, false);
    case 'meta.v1.MicroTime':
      return time(value, true);
    case 'resource.Quantity':
      return value['string'] ?? '';
    case 'intstr.IntOrString':
      return Number(value['type'] ?? 0) === 1 ? (value['strVal'] ?? '') : Number(value['intVal'] ?? 0);
    case 'meta.v1.FieldsV1':
      return rawJson(value['Raw']);
    case 'apiextensions.v1.JSON':
    case 'runtime.RawExtension':
      return rawJson(value['raw']);
    case 'apiextensions.v1.JSONSchemaPropsOrArray':
    case 'apiextensions.v1.JSONSchemaPropsOrBool':
    case 'apiextensions.v1.JSONSchemaPropsOrStringArray':
      return schemaOr(value, type);
    default:
      break;
  }
  const form = FORMS.get(name);
  const out: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) {
    const converted = fieldJson(type, field, item);
    // A zero time is null in JSON (left out here); omitempty values Go wrote while zero are left out.
    if (converted === null || (form?.omitZero.has(field) === true && isZero(converted))) continue;
    if (form?.inline.has(field) === true && isRecord(converted)) Object.assign(out, converted);
    else out[form?.renamed.get(field) ?? field] = converted;
  }
  if (form?.list === true) return out['items'] ?? [];
  return out;
}

function fieldJson(type: protobuf.Type, name: string, item: unknown): unknown {
  const field = type.fields[name];
  const resolved = field?.resolvedType;
  if (!(resolved instanceof protobuf.Type)) return item;
  if (field?.map === true && isRecord(item)) {
    return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, toJson(inner, resolved)]));
  }
  if (Array.isArray(item)) return item.map((inner) => toJson(inner, resolved));
  return toJson(item, resolved);
}

/** JSONSchemaPropsOr{Array,Bool,StringArray}: the schema when set, else the other form. */
function schemaOr(value: Record<string, unknown>, type: protobuf.Type): unknown {
  if (value['schema'] !== undefined) return fieldJson(type, 'schema', value['schema']);
  if (type.name === 'JSONSchemaPropsOrBool') return value['allows'] ?? false;
  const other = type.name === 'JSONSchemaPropsOrArray' ? 'jSONSchemas' : 'property';
  return fieldJson(type, other, value[other] ?? []);
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function malformed(why: string): ApiError {
  return ApiError.badRequest(`the protobuf body is malformed: ${why}`);
}

/** True when envtest has the protobuf message of a kind (`apiVersion`, `kind`). */
export function hasProtobufMessage(apiVersion: string, kind: string): boolean {
  return lookup(messageOf(apiVersion, kind)) !== undefined;
}

/**
 * Decodes a Kubernetes protobuf request body (the `k8s\0` envelope around a `runtime.Unknown`
 * holding the object's message) into the object's JSON form, with protobufjs over the message
 * tables of ./messages/.
 * @throws ApiError 400 for a malformed body, 415 for a kind whose message envtest does not know.
 */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw malformed('missing the k8s envelope');
  let envelope: Record<string, unknown>;
  try {
    const unknown = lookup('runtime.Unknown');
    if (unknown === undefined) throw new Error('runtime.Unknown is not described');
    envelope = unknown.toObject(unknown.decode(body.subarray(4)), { longs: Number });
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  const typeMeta = isRecord(envelope['typeMeta']) ? envelope['typeMeta'] : {};
  const apiVersion = typeof typeMeta['apiVersion'] === 'string' ? typeMeta['apiVersion'] : '';
  const kind = typeof typeMeta['kind'] === 'string' ? typeMeta['kind'] : '';
  const type = kind === '' ? undefined : lookup(messageOf(apiVersion, kind));
  if (type === undefined) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `envtest reads protobuf bodies of the built-in kinds it serves, not ${apiVersion} ${kind}; send JSON`,
    );
  }
  const raw = envelope['raw'];
  let decoded: Record<string, unknown>;
  try {
    decoded = type.toObject(type.decode(raw instanceof Uint8Array ? raw : new Uint8Array()), {
      longs: Number,
      bytes: String,
    });
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  return { apiVersion, kind, ...(toJson(decoded, type) as Record<string, unknown>) } as KubeObject;
}

import protobuf from 'protobufjs';
import type { IField, IMapField, INamespace, IType } from 'protobufjs';
import { ApiError } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import { KIND_MESSAGES, MESSAGES } from './kube-messages.js';

const INLINE = new Map<string, Set<string>>();

/** Reads a field table of kube-messages.ts into a protobufjs type description. */
function describe(name: string, table: string): IType {
  const fields: Record<string, IField | IMapField> = {};
  const inline = new Set<string>();
  for (const token of table.split(/\s+/).filter((part) => part !== '')) {
    const match = /^(\.\.\.)?(\w+)(\*)?(?:\{(\w*)\})?(?::(\w+))?=(\d+)$/.exec(token);
    if (match === null) throw new Error(`protobuf message ${name}: bad field "${token}"`);
    const [, embedded, field = '', repeated, mapValue, type, id] = match;
    if (embedded !== undefined) inline.add(field);
    fields[field] =
      mapValue !== undefined
        ? { keyType: 'string', type: mapValue === '' ? 'string' : mapValue, id: Number(id) }
        : { type: type ?? 'string', id: Number(id), ...(repeated === undefined ? {} : { rule: 'repeated' }) };
  }
  if (inline.size > 0) INLINE.set(name, inline);
  return { fields };
}

function buildRoot(): protobuf.Root {
  const nested: INamespace['nested'] = {
    Unknown: describe('Unknown', 'typeMeta:TypeMeta=1 raw:bytes=2 contentEncoding=3 contentType=4'),
    TypeMeta: describe('TypeMeta', 'apiVersion=1 kind=2'),
  };
  for (const [name, table] of Object.entries(MESSAGES)) nested[name] = describe(name, table);
  return protobuf.Root.fromJSON({ nested });
}

let root: protobuf.Root | undefined;

function typeOf(name: string): protobuf.Type {
  root ??= buildRoot();
  return root.lookupType(name);
}

function time(value: Record<string, unknown>): string | null {
  const seconds = Number(value['seconds'] ?? 0);
  const nanos = Number(value['nanos'] ?? 0);
  if (seconds === 0 && nanos === 0) return null;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  return nanos === 0 ? `${whole}Z` : `${whole}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** A decoded message as Kubernetes JSON: well-known types as their JSON forms, inline structs flattened. */
function toJson(value: unknown, type: protobuf.Type): unknown {
  if (!isRecord(value)) return value;
  switch (type.name) {
    case 'Time':
      return time(value);
    case 'Quantity':
      return value['string'] ?? '';
    case 'IntOrString':
      return Number(value['type'] ?? 0) === 1 ? (value['strVal'] ?? '') : Number(value['intVal'] ?? 0);
    default:
      break;
  }
  const out: Record<string, unknown> = {};
  const inline = INLINE.get(type.name);
  for (const [name, item] of Object.entries(value)) {
    const field = type.fields[name];
    const resolved = field?.resolvedType;
    let converted: unknown = item;
    if (resolved instanceof protobuf.Type) {
      if (field?.map === true && isRecord(item)) {
        converted = Object.fromEntries(
          Object.entries(item).map(([key, inner]) => [key, toJson(inner, resolved)]),
        );
      } else if (Array.isArray(item)) converted = item.map((inner) => toJson(inner, resolved));
      else converted = toJson(item, resolved);
    }
    // Zero values are what Go's omitempty leaves out of the JSON form.
    if (converted === '' || converted === null) continue;
    if (inline?.has(name) === true && isRecord(converted)) Object.assign(out, converted);
    else out[name] = converted;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function malformed(why: string): ApiError {
  return ApiError.badRequest(`the protobuf body is malformed: ${why}`);
}

/**
 * Decodes a Kubernetes protobuf request body (the `k8s\0` envelope around a `runtime.Unknown`
 * holding the object's message) into the object's JSON form, with protobufjs over the message
 * tables of kube-messages.ts.
 * @throws ApiError 400 for a malformed body, 415 for a kind whose message envtest does not know.
 */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw malformed('missing the k8s envelope');
  let envelope: Record<string, unknown>;
  try {
    const unknown = typeOf('Unknown');
    envelope = unknown.toObject(unknown.decode(body.subarray(4)), { longs: Number });
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  const typeMeta = isRecord(envelope['typeMeta']) ? envelope['typeMeta'] : {};
  const apiVersion = typeof typeMeta['apiVersion'] === 'string' ? typeMeta['apiVersion'] : '';
  const kind = typeof typeMeta['kind'] === 'string' ? typeMeta['kind'] : '';
  const messageName = KIND_MESSAGES[`${apiVersion}/${kind}`];
  if (messageName === undefined) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `envtest reads protobuf bodies of the kinds kubectl's imperative commands create, not ${apiVersion} ${kind}; send JSON`,
    );
  }
  const raw = envelope['raw'];
  const type = typeOf(messageName);
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

/** The kinds read in protobuf, as `apiVersion/Kind`. */
export function protobufKinds(): string[] {
  return Object.keys(KIND_MESSAGES);
}

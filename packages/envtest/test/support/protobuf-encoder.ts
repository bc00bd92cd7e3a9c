import protobuf from 'protobufjs';
import { isRecord } from '#lib/api/kube-object.js';
import { messageOf } from '#lib/protobuf/kube-messages.js';
import { jsonFormOf, lookup } from '#lib/protobuf/protobuf-decoder.js';

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

function time(value: unknown): { seconds: number; nanos: number } {
  const text = String(value);
  const ms = Date.parse(text);
  const fraction = /\.(\d+)Z$/.exec(text)?.[1] ?? '';
  return { seconds: Math.floor(ms / 1000), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
}

/** The protobufjs plain object of a message for a value in its Kubernetes JSON form. */
function fromJson(value: unknown, type: protobuf.Type): unknown {
  const name = type.fullName.slice(1);
  switch (name) {
    case 'meta.v1.Time':
    case 'meta.v1.MicroTime':
      return time(value);
    case 'resource.Quantity':
      return { string: value };
    case 'intstr.IntOrString':
      return typeof value === 'number' ? { type: 0, intVal: value } : { type: 1, strVal: value };
    case 'meta.v1.FieldsV1':
      return { Raw: base64Json(value) };
    case 'apiextensions.v1.JSON':
    case 'runtime.RawExtension':
      return { raw: base64Json(value) };
    case 'apiextensions.v1.JSONSchemaPropsOrBool':
      return typeof value === 'boolean'
        ? { allows: value }
        : { allows: true, schema: fromJson(value, field(type, 'schema')) };
    case 'apiextensions.v1.JSONSchemaPropsOrArray':
      return Array.isArray(value)
        ? { jSONSchemas: value.map((item) => fromJson(item, field(type, 'jSONSchemas'))) }
        : { schema: fromJson(value, field(type, 'schema')) };
    case 'apiextensions.v1.JSONSchemaPropsOrStringArray':
      return Array.isArray(value) ? { property: value } : { schema: fromJson(value, field(type, 'schema')) };
    default:
      break;
  }
  const form = jsonFormOf(name);
  if (form?.list === true) return { items: value };
  if (!isRecord(value)) throw new Error(`${name}: expected an object, got ${JSON.stringify(value)}`);
  const out: Record<string, unknown> = {};
  for (const item of type.fieldsArray) {
    const resolved = item.resolvedType;
    if (form?.inline.has(item.name) === true && resolved instanceof protobuf.Type) {
      out[item.name] = fromJson(value, resolved);
      continue;
    }
    const inner = value[form?.renamed.get(item.name) ?? item.name];
    if (inner === undefined) continue;
    if (!(resolved instanceof protobuf.Type)) out[item.name] = inner;
    else if (item.map && isRecord(inner)) {
      out[item.name] = Object.fromEntries(
        Object.entries(inner).map(([key, v]) => [key, fromJson(v, resolved)]),
      );
    } else if (Array.isArray(inner)) out[item.name] = inner.map((v) => fromJson(v, resolved));
    else out[item.name] = fromJson(inner, resolved);
  }
  return out;
}

function field(type: protobuf.Type, name: string): protobuf.Type {
  const resolved = type.fields[name]?.resolvedType;
  if (!(resolved instanceof protobuf.Type)) throw new Error(`${type.name}.${name} is not a message`);
  return resolved;
}

/**
 * Encodes an object as a Kubernetes protobuf body (`k8s\0` + runtime.Unknown), with protobufjs
 * over the same message tables the server decodes with.
 * @throws Error when its kind has no message.
 */
export function encodeProtobufObject(object: Record<string, unknown>): Buffer {
  const apiVersion = String(object['apiVersion']);
  const kind = String(object['kind']);
  const type = lookup(messageOf(apiVersion, kind));
  const unknown = lookup('runtime.Unknown');
  if (type === undefined || unknown === undefined)
    throw new Error(`no protobuf message for ${apiVersion} ${kind}`);
  const rest: Record<string, unknown> = { ...object };
  delete rest['apiVersion'];
  delete rest['kind'];
  const raw = type.encode(type.fromObject(fromJson(rest, type) as Record<string, unknown>)).finish();
  const envelope = unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw })).finish();
  return Buffer.concat([Buffer.from('k8s\u0000', 'latin1'), envelope]);
}

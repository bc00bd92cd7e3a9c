import { ApiError } from '../api/api-error.js';
import type { KubeObject } from '../api/kube-object.js';

/**
 * Just enough of Kubernetes' protobuf encoding to read what kubectl's imperative commands send
 * (`kubectl create namespace|configmap|secret|serviceaccount`): the `k8s\0` envelope around a
 * `runtime.Unknown`, and the messages of those four kinds. Unknown fields are skipped.
 */

type Field =
  | { readonly name: string; readonly kind: 'string' | 'bool' | 'int' }
  | { readonly name: string; readonly kind: 'strings' }
  | { readonly name: string; readonly kind: 'map'; readonly bytes: boolean }
  | { readonly name: string; readonly kind: 'message' | 'messages'; readonly schema: Schema };

type Schema = Readonly<Record<number, Field>>;

const OWNER_REFERENCE: Schema = {
  1: { name: 'kind', kind: 'string' },
  3: { name: 'name', kind: 'string' },
  4: { name: 'uid', kind: 'string' },
  5: { name: 'apiVersion', kind: 'string' },
  6: { name: 'controller', kind: 'bool' },
  7: { name: 'blockOwnerDeletion', kind: 'bool' },
};

const OBJECT_META: Schema = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'generateName', kind: 'string' },
  3: { name: 'namespace', kind: 'string' },
  5: { name: 'uid', kind: 'string' },
  6: { name: 'resourceVersion', kind: 'string' },
  11: { name: 'labels', kind: 'map', bytes: false },
  12: { name: 'annotations', kind: 'map', bytes: false },
  13: { name: 'ownerReferences', kind: 'messages', schema: OWNER_REFERENCE },
  14: { name: 'finalizers', kind: 'strings' },
};

const METADATA: Field = { name: 'metadata', kind: 'message', schema: OBJECT_META };

const KINDS: Readonly<Record<string, Schema>> = {
  'v1/Namespace': {
    1: METADATA,
    2: { name: 'spec', kind: 'message', schema: { 1: { name: 'finalizers', kind: 'strings' } } },
  },
  'v1/ConfigMap': {
    1: METADATA,
    2: { name: 'data', kind: 'map', bytes: false },
    3: { name: 'binaryData', kind: 'map', bytes: true },
    4: { name: 'immutable', kind: 'bool' },
  },
  'v1/Secret': {
    1: METADATA,
    2: { name: 'data', kind: 'map', bytes: true },
    3: { name: 'type', kind: 'string' },
    4: { name: 'stringData', kind: 'map', bytes: false },
    5: { name: 'immutable', kind: 'bool' },
  },
  'v1/ServiceAccount': {
    1: METADATA,
    4: { name: 'automountServiceAccountToken', kind: 'bool' },
  },
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function malformed(): never {
  throw ApiError.badRequest('the protobuf body is malformed');
}

class Reader {
  readonly #buffer: Buffer;
  #position: number;
  readonly #end: number;

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    this.#buffer = buffer;
    this.#position = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#position >= this.#end;
  }

  varint(): number {
    let result = 0;
    let factor = 1;
    for (;;) {
      if (this.#position >= this.#end) malformed();
      const byte = this.#buffer[this.#position++] ?? 0;
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
      if (factor > 2 ** 63) malformed();
    }
  }

  /** The bytes of a length-delimited field, as a sub-reader and as a Buffer. */
  bytes(): Buffer {
    const length = this.varint();
    const start = this.#position;
    if (start + length > this.#end) malformed();
    this.#position += length;
    return this.#buffer.subarray(start, start + length);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.#position += 8;
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.#position += 4;
        return;
      default:
        malformed();
    }
    if (this.#position > this.#end) malformed();
  }
}

function decodeMessage(buffer: Buffer, schema: Schema): Record<string, unknown> {
  const reader = new Reader(buffer);
  const result: Record<string, unknown> = {};
  while (!reader.done) {
    const key = reader.varint();
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    const field = schema[number];
    if (!field) {
      reader.skip(wireType);
      continue;
    }
    switch (field.kind) {
      case 'string':
        if (wireType !== 2) malformed();
        result[field.name] = reader.bytes().toString('utf8');
        break;
      case 'bool':
        if (wireType !== 0) malformed();
        result[field.name] = reader.varint() !== 0;
        break;
      case 'int':
        if (wireType !== 0) malformed();
        result[field.name] = reader.varint();
        break;
      case 'strings': {
        if (wireType !== 2) malformed();
        const list = (result[field.name] as string[] | undefined) ?? [];
        list.push(reader.bytes().toString('utf8'));
        result[field.name] = list;
        break;
      }
      case 'map': {
        if (wireType !== 2) malformed();
        if (field.bytes) {
          // Read apart, byte-exact, by decodeBytesMaps.
          reader.bytes();
          break;
        }
        const entry = decodeMessage(reader.bytes(), {
          1: { name: 'key', kind: 'string' },
          2: { name: 'value', kind: 'string' },
        });
        const map = (result[field.name] as Record<string, string> | undefined) ?? {};
        const key = typeof entry['key'] === 'string' ? entry['key'] : '';
        map[key] = typeof entry['value'] === 'string' ? entry['value'] : '';
        result[field.name] = map;
        break;
      }
      case 'message':
        if (wireType !== 2) malformed();
        result[field.name] = decodeMessage(reader.bytes(), field.schema);
        break;
      case 'messages': {
        if (wireType !== 2) malformed();
        const list = (result[field.name] as unknown[] | undefined) ?? [];
        list.push(decodeMessage(reader.bytes(), field.schema));
        result[field.name] = list;
        break;
      }
    }
  }
  return result;
}

/** Map values of `bytes` type must keep their exact bytes: decode them apart from strings. */
function decodeBytesMaps(buffer: Buffer, schema: Schema, into: Record<string, unknown>): void {
  const reader = new Reader(buffer);
  while (!reader.done) {
    const key = reader.varint();
    const field = schema[Math.floor(key / 8)];
    if (field?.kind !== 'map' || !field.bytes || key % 8 !== 2) {
      reader.skip(key % 8);
      continue;
    }
    const entry = new Reader(reader.bytes());
    let name = '';
    let value: Buffer = Buffer.alloc(0);
    while (!entry.done) {
      const entryKey = entry.varint();
      if (entryKey === 10) name = entry.bytes().toString('utf8');
      else if (entryKey === 18) value = entry.bytes();
      else entry.skip(entryKey % 8);
    }
    const map = (into[field.name] as Record<string, string> | undefined) ?? {};
    map[name] = value.toString('base64');
    into[field.name] = map;
  }
}

/** Go's protobuf writes empty strings that its JSON leaves out (`omitempty`): drop them. */
function withoutEmptyStrings(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== ''));
}

/**
 * Decodes an `application/vnd.kubernetes.protobuf` body into the JSON form of the object.
 * @throws ApiError 415 for kinds envtest cannot read as protobuf, 400 for malformed bodies.
 */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) malformed();
  const envelope = new Reader(body, MAGIC.length);
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  while (!envelope.done) {
    const key = envelope.varint();
    if (key === 10) {
      const typeMeta = decodeMessage(envelope.bytes(), {
        1: { name: 'apiVersion', kind: 'string' },
        2: { name: 'kind', kind: 'string' },
      });
      apiVersion = typeof typeMeta['apiVersion'] === 'string' ? typeMeta['apiVersion'] : '';
      kind = typeof typeMeta['kind'] === 'string' ? typeMeta['kind'] : '';
    } else if (key === 18) raw = envelope.bytes();
    else envelope.skip(key % 8);
  }
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema || raw === undefined) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `envtest reads protobuf bodies only for v1 Namespace, ConfigMap, Secret and ServiceAccount, not ${apiVersion} ${kind}; send JSON`,
    );
  }
  const object = withoutEmptyStrings(decodeMessage(raw, schema));
  decodeBytesMaps(raw, schema, object);
  const metadata = withoutEmptyStrings((object['metadata'] ?? {}) as Record<string, unknown>);
  return { ...object, apiVersion, kind, metadata };
}

import { expect } from 'chai';
import { ApiError } from '#lib/api/api-error.js';
import { decodeProtobufObject } from '#lib/protobuf/protobuf-decoder.js';

/** Protobuf encoding helpers for tests: a length-delimited field and a varint field. */
function bytesField(number: number, value: Buffer | string): Buffer {
  const payload = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint(number * 8 + 2), varint(payload.length), payload]);
}

function varintField(number: number, value: number): Buffer {
  return Buffer.concat([varint(number * 8), varint(value)]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)]);
  return Buffer.concat([
    Buffer.from('k8s\u0000', 'latin1'),
    bytesField(1, typeMeta),
    bytesField(2, raw),
    bytesField(4, 'application/vnd.kubernetes.protobuf'),
  ]);
}

function mapEntry(number: number, key: string, value: Buffer | string): Buffer {
  return bytesField(number, Buffer.concat([bytesField(1, key), bytesField(2, value)]));
}

describe('decodeProtobufObject', () => {
  it('decodes a ConfigMap with metadata, labels, owner references, finalizers, data and binary data', () => {
    const owner = Buffer.concat([
      bytesField(1, 'Pod'),
      bytesField(3, 'p'),
      bytesField(4, 'u1'),
      bytesField(5, 'v1'),
      varintField(6, 1),
    ]);
    const metadata = Buffer.concat([
      bytesField(1, 'cm'),
      bytesField(2, ''),
      bytesField(3, 'ns'),
      mapEntry(11, 'app', 'web'),
      mapEntry(12, 'note', 'hi'),
      bytesField(13, owner),
      bytesField(14, 'example.com/f'),
      bytesField(8, Buffer.alloc(0)),
      varintField(7, 300),
    ]);
    const raw = Buffer.concat([
      bytesField(1, metadata),
      mapEntry(2, 'a', 'b'),
      mapEntry(3, 'bin', Buffer.from([0, 1, 0xff])),
      varintField(4, 1),
      Buffer.concat([varint(9 * 8 + 1), Buffer.alloc(8)]),
      Buffer.concat([varint(10 * 8 + 5), Buffer.alloc(4)]),
    ]);
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', raw))).to.deep.equal({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        namespace: 'ns',
        generation: 300,
        labels: { app: 'web' },
        annotations: { note: 'hi' },
        ownerReferences: [{ kind: 'Pod', name: 'p', uid: 'u1', apiVersion: 'v1', controller: true }],
        finalizers: ['example.com/f'],
      },
      data: { a: 'b' },
      binaryData: { bin: 'AAH/' },
      immutable: true,
    });
  });

  it('decodes a Deployment: pod template, int-or-string, quantities, inline structs', () => {
    const intOrString = (value: number | string): Buffer =>
      typeof value === 'number'
        ? Buffer.concat([varintField(1, 0), varintField(2, value)])
        : Buffer.concat([varintField(1, 1), bytesField(3, value)]);
    const quantity = (value: string): Buffer => bytesField(1, value);
    const container = Buffer.concat([
      bytesField(1, 'web'),
      bytesField(2, 'nginx:1.27'),
      bytesField(6, Buffer.concat([varintField(3, 80)])),
      bytesField(
        8,
        Buffer.concat([
          bytesField(1, Buffer.concat([bytesField(1, 'cpu'), bytesField(2, quantity('500m'))])),
        ]),
      ),
      bytesField(
        7,
        Buffer.concat([
          bytesField(1, 'MODE'),
          bytesField(
            3,
            bytesField(3, Buffer.concat([bytesField(1, bytesField(1, 'cfg')), bytesField(2, 'mode')])),
          ),
        ]),
      ),
    ]);
    const template = Buffer.concat([
      bytesField(1, mapEntry(11, 'app', 'web')),
      bytesField(
        2,
        Buffer.concat([
          bytesField(2, container),
          bytesField(
            1,
            Buffer.concat([
              bytesField(1, 'v'),
              bytesField(2, bytesField(19, bytesField(1, bytesField(1, 'cfg')))),
            ]),
          ),
        ]),
      ),
    ]);
    const strategy = Buffer.concat([
      bytesField(1, 'RollingUpdate'),
      bytesField(2, Buffer.concat([bytesField(1, intOrString('25%')), bytesField(2, intOrString(1))])),
    ]);
    const spec = Buffer.concat([
      varintField(1, 3),
      bytesField(2, mapEntry(1, 'app', 'web')),
      bytesField(3, template),
      bytesField(4, strategy),
    ]);
    const raw = Buffer.concat([bytesField(1, bytesField(1, 'web')), bytesField(2, spec)]);
    expect(decodeProtobufObject(envelope('apps/v1', 'Deployment', raw))).to.deep.equal({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'nginx:1.27',
                ports: [{ containerPort: 80 }],
                resources: { limits: { cpu: '500m' } },
                env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } }],
              },
            ],
            volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      },
    });
  });

  it('answers 415 for kinds it does not read and 400 for malformed bodies', () => {
    const error = (body: Buffer): ApiError => {
      try {
        decodeProtobufObject(body);
      } catch (e) {
        if (e instanceof ApiError) return e;
        throw e;
      }
      throw new Error('decoded');
    };
    expect(error(envelope('example.com/v1', 'Widget', Buffer.alloc(0))).code).to.equal(415);
    expect(error(envelope('v1', 'ResourceQuota', Buffer.alloc(0))).code).to.equal(415);
    expect(error(Buffer.from('{"json":true}')).code).to.equal(400);
    expect(
      error(Buffer.concat([Buffer.from('k8s\u0000', 'latin1'), Buffer.from([0x12, 0x05, 0x01])])).code,
    ).to.equal(400);
    expect(error(envelope('v1', 'ConfigMap', Buffer.from([0x0a, 0x02, 0x08]))).code).to.equal(400);
  });
});

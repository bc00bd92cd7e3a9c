import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { shareRepeatedStrings } from '#lib/objects/share-repeated-strings.js';

/** A full GC (V8's `gc`, made available for this test only). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The JSON text of a list of `count` ConfigMaps, as the API server writes it. */
function configMapList(count: number): string {
  const items = Array.from({ length: count }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `cm-${String(i)}`,
      namespace: 'team-payments-prod',
      uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      creationTimestamp: `2026-11-29T19:38:${String(30 + (i % 3))}Z`,
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'v1',
          time: `2026-11-29T19:38:${String(30 + (i % 3))}Z`,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { '.': {}, 'f:key': {} } },
        },
      ],
    },
    data: { key: `value-${String(i)}` },
  }));
  return JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: {}, items });
}

describe('shareRepeatedStrings', () => {
  it('leaves every object as the server sent it', () => {
    const text = configMapList(50);
    const list = JSON.parse(text) as { items: unknown[] };
    shareRepeatedStrings(list.items);
    expect(JSON.stringify(list)).to.equal(text);
    expect(list).to.deep.equal(JSON.parse(text));
  });

  it('makes the objects hold less memory: one copy of each repeated namespace, timestamp and manager', () => {
    const count = 20_000;
    const text = configMapList(count);
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const list = JSON.parse(text) as { items: unknown[] };
    collectGarbage();
    const parsed = process.memoryUsage().heapUsed;
    shareRepeatedStrings(list.items);
    collectGarbage();
    const shared = process.memoryUsage().heapUsed;
    expect(list.items).to.have.length(count);
    // namespace (18 characters), two timestamps (20) and the manager (25): 4 strings of at least
    // 32 bytes each that JSON.parse copied into every object.
    expect(
      (parsed - shared) / count,
      `of ${String((parsed - before) / count)} bytes per object`,
    ).to.be.at.least(4 * 32);
  });

  it('skips what is not an object with metadata, and values that are not strings', () => {
    const items: unknown[] = [
      null,
      'cm',
      7,
      [],
      { metadata: null },
      { metadata: 'x' },
      { metadata: { namespace: 3, creationTimestamp: null, managedFields: 'all' } },
      { metadata: { managedFields: [null, 'x', { manager: ['a'], time: 5 }] } },
    ];
    const copy = structuredClone(items);
    shareRepeatedStrings(items);
    expect(items).to.deep.equal(copy);
  });
});

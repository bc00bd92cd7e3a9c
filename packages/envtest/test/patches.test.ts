import { expect } from 'chai';
import { thrownApiError } from './support/thrown-api-error.js';
import { jsonPatch } from '#lib/patch/json-patch.js';
import { mergePatch } from '#lib/patch/merge-patch.js';
import { strategicMergePatch } from '#lib/patch/strategic-merge-patch.js';

describe('jsonPatch', () => {
  const document = { a: { b: 1 }, list: [1, 2, 3], 'x/y': { '~z': 0 } };

  it('applies add, remove, replace, move, copy and test without changing its input', () => {
    const result = jsonPatch(document, [
      { op: 'add', path: '/a/c', value: 2 },
      { op: 'add', path: '/list/-', value: 4 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'remove', path: '/list/1' },
      { op: 'replace', path: '/a/b', value: 10 },
      { op: 'move', from: '/a/c', path: '/moved' },
      { op: 'copy', from: '/a', path: '/copied' },
      { op: 'test', path: '/x~1y/~0z', value: 0 },
      { op: 'replace', path: '/list/0', value: 9 },
    ]);
    expect(result).to.deep.equal({
      a: { b: 10 },
      list: [9, 2, 3, 4],
      'x/y': { '~z': 0 },
      moved: 2,
      copied: { b: 10 },
    });
    expect(document).to.deep.equal({ a: { b: 1 }, list: [1, 2, 3], 'x/y': { '~z': 0 } });
    expect(jsonPatch(document, [{ op: 'replace', path: '', value: { whole: true } }])).to.deep.equal({
      whole: true,
    });
  });

  it('answers 422 for operations that do not apply and 400 for malformed patches', () => {
    const unprocessable = [
      [{ op: 'test', path: '/a/b', value: 2 }],
      [{ op: 'remove', path: '/missing' }],
      [{ op: 'replace', path: '/missing', value: 1 }],
      [{ op: 'add', path: '/missing/deeper', value: 1 }],
      [{ op: 'add', path: '/list/9', value: 1 }],
      [{ op: 'remove', path: '/list/x' }],
      [{ op: 'remove', path: '' }],
      [{ op: 'move', path: '/a' }],
      [{ op: 'copy', path: '/a' }],
      [{ op: 'copy', from: '/nothing', path: '/a' }],
      [{ op: 'add', path: '/a/b/c', value: 1 }],
    ];
    for (const patch of unprocessable) {
      expect(thrownApiError(() => jsonPatch(document, patch)).code, JSON.stringify(patch)).to.equal(422);
    }
    for (const patch of [
      { op: 'add' },
      [{ op: 'add' }],
      [{ op: 'frobnicate', path: '/a' }],
      [{ op: 'add', path: 'a', value: 1 }],
    ]) {
      expect(thrownApiError(() => jsonPatch(document, patch)).code, JSON.stringify(patch)).to.equal(400);
    }
  });
});

describe('mergePatch', () => {
  it('merges objects, deletes nulls and replaces everything else', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: null, d: 3 }, l: [2], n: 'x' })).to.deep.equal(
      {
        a: { c: 2, d: 3 },
        l: [2],
        n: 'x',
      },
    );
    expect(mergePatch({ a: 1 }, 'scalar')).to.equal('scalar');
  });
});

describe('strategicMergePatch', () => {
  it('merges containers by name, conditions by type, finalizers as a set and deletes with $patch', () => {
    const target = {
      spec: {
        containers: [
          { name: 'a', image: '1' },
          { name: 'b', image: '2' },
        ],
        ports: [{ port: 80, name: 'http' }],
      },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
      metadata: { finalizers: ['x'] },
      other: [1, 2],
    };
    const result = strategicMergePatch(target, {
      $setElementOrder: {},
      spec: {
        containers: [
          { name: 'b', image: '3' },
          { name: 'c', image: '4' },
          { name: 'a', $patch: 'delete' },
        ],
        ports: [{ port: 80, name: 'web' }],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
      metadata: { finalizers: ['x', 'y'] },
      other: [3],
      gone: null,
    });
    expect(result).to.deep.equal({
      spec: {
        containers: [
          { name: 'b', image: '3' },
          { name: 'c', image: '4' },
        ],
        ports: [{ port: 80, name: 'web' }],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
      metadata: { finalizers: ['x', 'y'] },
      other: [3],
    });
  });

  it('replaces a map marked $patch: replace', () => {
    expect(
      strategicMergePatch({ data: { a: '1', b: '2' } }, { data: { $patch: 'replace', c: '3' } }),
    ).to.deep.equal({
      data: { c: '3' },
    });
    expect(
      strategicMergePatch({ list: [{ name: 'a' }] }, { list: [{ name: 'b' }, { $patch: 'delete' }] }),
    ).to.deep.equal({
      list: [{ name: 'b' }],
    });
  });
});

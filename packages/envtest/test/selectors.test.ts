import { expect } from 'chai';
import { thrownApiError } from './support/thrown-api-error.js';
import { FieldSelector, fieldValue } from '#lib/selectors/field-selector.js';
import { LabelSelector } from '#lib/selectors/label-selector.js';
import type { KubeObject } from '#lib/api/kube-object.js';

describe('LabelSelector', () => {
  describe('.parse', () => {
    const labels = { app: 'web', tier: 'front', version: '3' };
    const cases: [string, boolean][] = [
      ['', true],
      ['app=web', true],
      ['app==web', true],
      ['app!=web', false],
      ['app!=db', true],
      ['missing!=x', true],
      ['app in (web, db)', true],
      ['app notin (web)', false],
      ['missing notin (web)', true],
      ['app', true],
      ['!app', false],
      ['!missing', true],
      ['version>2', true],
      ['version<3', false],
      ['missing>1', false],
      ['app=web,tier=front', true],
      ['app=web,tier=back', false],
      ['example.com/app', false],
      ['app in ()', false],
    ];
    for (const [selector, expected] of cases) {
      it(`"${selector}" ${expected ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, () => {
        expect(LabelSelector.parse(selector).matches(labels)).to.equal(expected);
      });
    }

    it('matches objects without labels only with negative requirements', () => {
      expect(LabelSelector.parse('!a').matches(undefined)).to.equal(true);
      expect(LabelSelector.parse('a').matches(undefined)).to.equal(false);
    });

    for (const bad of [
      'a=b=c',
      'a in b',
      'a in (b',
      '=b',
      'a>b',
      'a b',
      'a in (b c)',
      'Bad Key=x',
      'a=-bad-',
    ]) {
      it(`answers 400 for "${bad}"`, () => {
        expect(thrownApiError(() => LabelSelector.parse(bad)).code).to.equal(400);
      });
    }
  });
});

describe('FieldSelector', () => {
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { nodeName: 'n1', hostNetwork: false },
    status: { phase: 'Running' },
  };
  const supported = [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'status.phase',
    'spec.hostNetwork',
  ];

  it('matches equality and inequality terms', () => {
    expect(FieldSelector.parse('metadata.name=p,status.phase!=Failed', supported).matches(object)).to.equal(
      true,
    );
    expect(FieldSelector.parse('spec.nodeName==n2', supported).matches(object)).to.equal(false);
    expect(FieldSelector.parse('spec.hostNetwork=false', supported).matches(object)).to.equal(true);
    expect(FieldSelector.parse(' ', supported).empty).to.equal(true);
  });

  it('exposes the name an equality term pins', () => {
    expect(FieldSelector.parse('metadata.name=lock', supported).name).to.equal('lock');
    expect(FieldSelector.parse('metadata.name!=lock', supported).name).to.equal(undefined);
  });

  it('answers 400 for unsupported fields and malformed terms', () => {
    expect(thrownApiError(() => FieldSelector.parse('spec.other=x', supported)).message).to.equal(
      'field label not supported: spec.other',
    );
    expect(thrownApiError(() => FieldSelector.parse('metadata.name', supported)).code).to.equal(400);
  });

  it('reads absent fields as empty strings', () => {
    expect(fieldValue(object, 'spec.missing.deeper')).to.equal('');
    expect(fieldValue(object, 'status.phase')).to.equal('Running');
  });
});

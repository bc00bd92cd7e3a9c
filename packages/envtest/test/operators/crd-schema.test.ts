import { CustomObjectsApi } from '@kubernetes/client-node';
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { certificateCrd } from '../fixtures/certificate-crd.js';
import { apiFailure } from '../support/api-failure.js';
import { useKubectl } from '../support/kubectl.js';
import { raw, sleep, type RawResponse } from '../support/raw-client.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

interface Cause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

interface InvalidStatus {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly details: {
    readonly name: string;
    readonly group: string;
    readonly kind: string;
    readonly causes: Cause[];
  };
}

function crdWithSchema(name: string, schema: unknown): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${name}s.schema.example.com` },
    spec: {
      group: 'schema.example.com',
      scope: 'Namespaced',
      names: { plural: `${name}s`, kind: name.charAt(0).toUpperCase() + name.slice(1) },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          ...(schema === undefined ? {} : { schema: { openAPIV3Schema: schema } }),
        },
      ],
    },
  };
}

describe('envtest CRD structural schemas', () => {
  const env = useEnvtest();

  /** POSTs `body` to `path`, again while the new CRD's API is not served yet (404). */
  async function eventuallyCreated(path: string, body: unknown): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
      const answer = await raw(env, 'POST', path, { body });
      if (answer.status !== 404 || attempt === 50) return answer;
      await sleep(20);
    }
  }

  it('rejects a v1 CRD without a schema as kube-apiserver does', async () => {
    const answer = await raw(env, 'POST', CRDS, { body: crdWithSchema('plain', undefined) });
    expect(answer.status).to.equal(422);
    const status = answer.json as InvalidStatus;
    expect(status.reason).to.equal('Invalid');
    expect(status.message).to.equal(
      'CustomResourceDefinition.apiextensions.k8s.io "plains.schema.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required',
    );
    expect(status.details.causes).to.deep.equal([
      {
        reason: 'FieldValueRequired',
        message: 'Required value: schemas are required',
        field: 'spec.versions[0].schema.openAPIV3Schema',
      },
    ]);
  });

  it('rejects non-structural schemas with every cause', async () => {
    const answer = await raw(env, 'POST', CRDS, {
      body: crdWithSchema('bad', {
        type: 'object',
        properties: {
          spec: { properties: { size: { type: 'integer' } } },
          list: { type: 'array' },
          port: { type: 'string', 'x-kubernetes-int-or-string': true },
          keep: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false },
          rule: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.((' }] },
        },
      }),
    });
    expect(answer.status).to.equal(422);
    const causes = (answer.json as InvalidStatus).details.causes.map(
      (cause) => `${cause.field}: ${cause.message}`,
    );
    // One version (or identical schemas in every version): kube-apiserver names spec.validation.
    const base = 'spec.validation.openAPIV3Schema.properties';
    expect(causes).to.include(
      `${base}[spec].type: Required value: must not be empty for specified object fields`,
    );
    expect(causes).to.include(`${base}[list].items: Required value: must be specified`);
    expect(causes).to.include(
      `${base}[port].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true`,
    );
    expect(causes).to.include(
      `${base}[keep].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
    );
    expect(
      causes.some((cause) =>
        cause.startsWith(
          `${base}[rule].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.((", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed:`,
        ),
      ),
    ).to.equal(true);
    const rooted = await raw(env, 'POST', CRDS, { body: crdWithSchema('root', { type: 'string' }) });
    expect((rooted.json as InvalidStatus).message).to.contain(
      'spec.validation.openAPIV3Schema.type: Invalid value: "string": must be object at the root',
    );
  });
  it('names each version when the versions have different schemas', async () => {
    const crd = crdWithSchema('twin', { type: 'object' }) as {
      spec: { versions: Record<string, unknown>[] };
    };
    crd.spec.versions.push({
      name: 'v2',
      served: true,
      storage: false,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: {} } } },
    });
    const answer = await raw(env, 'POST', CRDS, { body: crd });
    expect((answer.json as InvalidStatus).details.causes).to.deep.equal([
      {
        reason: 'FieldValueRequired',
        message: 'Required value: must not be empty for specified object fields',
        field: 'spec.versions[1].schema.openAPIV3Schema.properties[spec].type',
      },
    ]);
  });

  it('type-checks x-kubernetes-validations rules against the schema when the CRD is written', async () => {
    const rule = (text: string): string =>
      `apiextensions.ValidationRule{Rule:${JSON.stringify(text)}, Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}`;
    const create = async (name: string, spec: unknown): Promise<string[]> => {
      const answer = await raw(env, 'POST', CRDS, {
        body: crdWithSchema(name, { type: 'object', properties: { spec } }),
      });
      if (answer.status === 201) return [];
      expect(answer.status, answer.text).to.equal(422);
      return (answer.json as InvalidStatus).details.causes.map((cause) => `${cause.field}: ${cause.message}`);
    };
    const at = 'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule';
    expect(
      await create('undefinedfield', {
        type: 'object',
        properties: { x: { type: 'integer' } },
        'x-kubernetes-validations': [{ rule: 'self.y == 1' }],
      }),
    ).to.deep.equal([
      `${at}: Invalid value: ${rule('self.y == 1')}: compilation failed: ERROR: <input>:1:5: undefined field 'y'\n | self.y == 1\n | ....^`,
    ]);
    expect(
      await create('undeclared', {
        type: 'object',
        properties: { x: { type: 'integer' } },
        'x-kubernetes-validations': [{ rule: 'self.x == other' }],
      }),
    ).to.deep.equal([
      `${at}: Invalid value: ${rule('self.x == other')}: compilation failed: ERROR: <input>:1:11: undeclared reference to 'other' (in container '')\n | self.x == other\n | ..........^`,
    ]);
    const ranged = await create('rangeonstring', {
      type: 'object',
      properties: {
        name: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.all(c, c == 'a')" }] },
      },
    });
    expect(ranged).to.have.length(1);
    expect(ranged[0]).to.match(
      /^spec\.validation\.openAPIV3Schema\.properties\[spec\]\.properties\[name\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: .*: compilation failed: ERROR: <input>:1:\d+: expression of type 'string' cannot be range of a comprehension \(must be list, map, or dynamic\)/,
    );
    // Every node's rules are checked: a child's failing rule does not hide its parent's.
    const both = await create('childandparent', {
      type: 'object',
      properties: { name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.y' }] } },
      'x-kubernetes-validations': [{ rule: 'self.y == 1' }],
    });
    expect(both.map((cause) => cause.split(':')[0])).to.deep.equal([
      'spec.validation.openAPIV3Schema.properties[spec].properties[name].x-kubernetes-validations[0].rule',
      at,
    ]);
    const nested = await create('nestedfield', {
      type: 'object',
      properties: {
        ports: {
          type: 'array',
          items: { type: 'object', properties: { port: { type: 'integer' } } },
        },
      },
      'x-kubernetes-validations': [{ rule: 'self.ports.all(p, p.number > 0)' }],
    });
    expect(nested).to.deep.equal([
      `${at}: Invalid value: ${rule('self.ports.all(p, p.number > 0)')}: compilation failed: ERROR: <input>:1:20: undefined field 'number'\n | self.ports.all(p, p.number > 0)\n | ...................^`,
    ]);
    const library = await create('kubelibrary', {
      type: 'object',
      properties: { url: { type: 'string' } },
      'x-kubernetes-validations': [
        { rule: 'isURL(self.url)' },
        { rule: '!format.dns1123Label().validate(self.url).hasValue()' },
        { rule: "quantity(self.url).isGreaterThan(quantity('1'))" },
      ],
    });
    // kube's CEL libraries are missing: such rules are accepted, and not enforced (README).
    expect(library).to.deep.equal([]);
    const resources = `/apis/schema.example.com/v1/namespaces/${env.namespace}/kubelibrarys`;
    const unchecked = await eventuallyCreated(resources, {
      apiVersion: 'schema.example.com/v1',
      kind: 'Kubelibrary',
      metadata: { name: 'not-checked' },
      spec: { url: 'not a URL' },
    });
    expect(unchecked.status, unchecked.text).to.equal(201);
    // Rules kube-apiserver compiles are accepted: fields, maps, lists, objects compared whole,
    // optional fields, int-or-string and preserved values as dyn, escaped property names.
    expect(
      await create('goodrules', {
        type: 'object',
        properties: {
          replicas: { type: 'integer' },
          name: { type: 'string' },
          'max-surge': { 'x-kubernetes-int-or-string': true },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          ports: {
            type: 'array',
            items: { type: 'object', properties: { port: { type: 'integer' } } },
          },
          ref: { type: 'object', properties: { name: { type: 'string' } } },
          extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
        'x-kubernetes-validations': [
          { rule: '!has(self.replicas) || self.replicas <= 10' },
          { rule: "self.name.startsWith('a') && self.labels.all(k, self.labels[k] != '')" },
          { rule: 'self.ports.exists(p, p.port == 80) || size(self.ports) == 0' },
          { rule: 'self.ref == oldSelf.ref' },
          { rule: 'self.max__dash__surge == 1 || self.extra.anything == 2' },
          { rule: "self.?name.orValue('') != 'x'" },
        ],
      }),
    ).to.deep.equal([]);
  });

  it('rejects list and map types as kube-apiserver does, one cause each', async () => {
    const base = 'spec.validation.openAPIV3Schema.properties[spec].properties';
    const item = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
      type: 'object',
      properties,
      ...extra,
    });
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'map-without-keys',
        { type: 'array', 'x-kubernetes-list-type': 'map', items: item({ name: { type: 'string' } }) },
        `${base}[p].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
      ],
      [
        'set-of-objects',
        { type: 'array', 'x-kubernetes-list-type': 'set', items: item({ name: { type: 'string' } }) },
        `${base}[p].items.x-kubernetes-map-type: Invalid value: "null": must be atomic as item of a list with x-kubernetes-list-type=set`,
      ],
      [
        'unknown-list-type',
        { type: 'array', 'x-kubernetes-list-type': 'bag', items: { type: 'string' } },
        `${base}[p].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`,
      ],
      [
        'keys-without-map',
        {
          type: 'array',
          'x-kubernetes-list-type': 'atomic',
          'x-kubernetes-list-map-keys': ['name'],
          items: item({ name: { type: 'string' } }, { required: ['name'] }),
        },
        `${base}[p].x-kubernetes-list-type: Invalid value: "atomic": must be map if x-kubernetes-list-map-keys is non-empty`,
      ],
      [
        'keys-without-list-type',
        {
          type: 'array',
          'x-kubernetes-list-map-keys': ['name'],
          items: item({ name: { type: 'string' } }, { required: ['name'] }),
        },
        `${base}[p].x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty`,
      ],
      [
        'key-not-a-property',
        {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['nam'],
          items: item({ name: { type: 'string' } }),
        },
        `${base}[p].x-kubernetes-list-map-keys: Invalid value: []string{"nam"}: entries must all be names of item properties`,
      ],
      [
        'key-not-required',
        {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: item({ name: { type: 'string' } }),
        },
        `${base}[p].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
      ],
      [
        'key-not-scalar',
        {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['ref'],
          items: item({ ref: { type: 'object' } }, { required: ['ref'] }),
        },
        `${base}[p].items.properties[ref].type: Invalid value: "object": must be a scalar type if parent array's x-kubernetes-list-type is map`,
      ],
      [
        'map-of-strings',
        {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['x'],
          items: { type: 'string' },
        },
        `${base}[p].items.type: Invalid value: "string": must be object if parent array's x-kubernetes-list-type is map`,
      ],
      [
        'nullable-set-items',
        { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string', nullable: true } },
        `${base}[p].items.nullable: Forbidden: cannot be nullable when x-kubernetes-list-type is set`,
      ],
      [
        'list-type-on-object',
        { type: 'object', 'x-kubernetes-list-type': 'set' },
        `${base}[p].type: Invalid value: "object": must be array if x-kubernetes-list-type is specified`,
      ],
      [
        'unknown-map-type',
        { type: 'object', 'x-kubernetes-map-type': 'deep' },
        `${base}[p].x-kubernetes-map-type: Unsupported value: "deep": supported values: "atomic", "granular"`,
      ],
      [
        'map-type-on-array',
        { type: 'array', 'x-kubernetes-map-type': 'atomic', items: { type: 'string' } },
        `${base}[p].type: Invalid value: "array": must be object if x-kubernetes-map-type is specified`,
      ],
    ];
    for (const [name, property, expected] of cases) {
      const answer = await raw(env, 'POST', CRDS, {
        body: crdWithSchema(name.replace(/-/g, ''), {
          type: 'object',
          properties: { spec: { type: 'object', properties: { p: property } } },
        }),
      });
      expect(answer.status, name).to.equal(422);
      const status = answer.json as InvalidStatus;
      expect(
        status.details.causes.map((cause) => `${cause.field}: ${cause.message}`),
        name,
      ).to.deep.equal([expected]);
      expect(status.message, name).to.match(/ is invalid: /);
    }
    const good = await raw(env, 'POST', CRDS, {
      body: crdWithSchema('goodlists', {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: {
              tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
              refs: {
                type: 'array',
                'x-kubernetes-list-type': 'set',
                items: item({ name: { type: 'string' } }, { 'x-kubernetes-map-type': 'atomic' }),
              },
              ports: {
                type: 'array',
                'x-kubernetes-list-type': 'map',
                'x-kubernetes-list-map-keys': ['port', 'protocol'],
                items: item(
                  { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } },
                  { required: ['port'] },
                ),
              },
              labels: {
                type: 'object',
                'x-kubernetes-map-type': 'granular',
                additionalProperties: { type: 'string' },
              },
            },
          },
        },
      }),
    });
    expect(good.status, good.text).to.equal(201);
  });
});

describe('envtest custom resource validation, defaulting and pruning (a large certificate CRD)', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);
  let group = '';
  let path = '';

  beforeEach(async () => {
    group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.certs.example.com`;
    const created = await raw(env, 'POST', CRDS, { body: certificateCrd(group) });
    expect(created.status).to.equal(201);
    path = `/apis/${group}/v1/namespaces/${env.namespace}/certificates`;
  });

  const certificate = (
    name: string,
    spec: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): unknown => ({
    apiVersion: `${group}/v1`,
    kind: 'Certificate',
    metadata: { name },
    spec,
    ...extra,
  });

  it('applies defaults and prunes unknown fields, keeping preserved and embedded ones', async () => {
    const created = await raw(env, 'POST', path, {
      body: certificate(
        'web',
        {
          secretName: 'web-tls',
          issuerRef: { name: 'ca' },
          privateKey: { size: 2048 },
          keystores: { pkcs12: { create: true, passwordSecretRef: { name: 'pw' } } },
          bogus: 1,
          extra: { anything: { goes: [1, 2] } },
          podTemplate: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { anything: true } },
          subject: { organizations: ['ACME'], unknownField: 'x' },
        },
        { topLevel: true },
      ),
    });
    expect(created.status).to.equal(201);
    const spec = (created.json as { spec: Record<string, unknown> }).spec;
    expect(spec).to.deep.include({
      duration: '2160h',
      isCA: false,
      replicas: 1,
      issuerRef: { name: 'ca', kind: 'Issuer', group: 'certs.example.com' },
      privateKey: { size: 2048, algorithm: 'RSA', encoding: 'PKCS1' },
      keystores: { pkcs12: { create: true, passwordSecretRef: { name: 'pw', key: 'password' } } },
      extra: { anything: { goes: [1, 2] } },
      podTemplate: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { anything: true } },
      subject: { organizations: ['ACME'] },
    });
    expect(spec).not.to.have.property('bogus');
    expect(created.json).not.to.have.property('topLevel');
  });

  it('lists every violation in one 422 Status, worded as kube-apiserver words them', async () => {
    const answer = await raw(env, 'POST', path, {
      body: certificate('bad', {
        secretName: 'Not_A_Name',
        issuerRef: { kind: 'Nobody' },
        replicas: 200,
        commonName: 'x'.repeat(65),
        privateKey: { algorithm: 'DSA', size: 'big' },
        dnsNames: ['a.example.com', 'not a host'],
        emailAddresses: ['a@example.com', 'a@example.com'],
        revisionHistoryLimit: 0,
        port: true,
        subject: { countries: ['DEU'] },
        secretTemplate: { labels: { a: '1', b: '2', c: '3', d: '4', e: '5' } },
        podTemplate: { metadata: { name: 'x' } },
      }),
    });
    expect(answer.status).to.equal(422);
    const status = answer.json as InvalidStatus;
    expect(status.reason).to.equal('Invalid');
    expect(status.details).to.include({ name: 'bad', group, kind: 'Certificate' });
    expect(status.message).to.match(
      new RegExp(`^Certificate\\.${group.replace(/\./g, '\\.')} "bad" is invalid: \\[`),
    );
    const causes = status.details.causes.map((cause) => `${cause.field}: ${cause.message}`);
    const expected = [
      `spec.secretName: Invalid value: "Not_A_Name": spec.secretName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
      'spec.issuerRef.name: Required value',
      'spec.issuerRef.kind: Unsupported value: "Nobody": supported values: "Issuer", "ClusterIssuer", "ExternalIssuer"',
      'spec.replicas: Invalid value: 200: spec.replicas in body should be less than or equal to 100',
      'spec.commonName: Too long: may not be more than 64 bytes',
      'spec.privateKey.algorithm: Unsupported value: "DSA": supported values: "RSA", "ECDSA", "Ed25519"',
      'spec.privateKey.size: Invalid value: "string": spec.privateKey.size in body must be of type integer: "string"',
      'spec.dnsNames[1]: Invalid value: "not a host": spec.dnsNames[1] in body must be of type hostname: "not a host"',
      'spec.emailAddresses[1]: Duplicate value: "a@example.com"',
      'spec.revisionHistoryLimit: Invalid value: 0: spec.revisionHistoryLimit in body should be greater than or equal to 1',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer or string: "boolean"',
      'spec.subject.countries[0]: Too long: may not be more than 2 bytes',
      'spec.secretTemplate.labels: Too many: 5: must have at most 4 items',
      'spec.podTemplate.apiVersion: Required value: must not be empty',
      'spec.podTemplate.kind: Required value: must not be empty',
    ];
    for (const cause of expected) expect(causes).to.include(cause);
    expect(causes).to.have.length(expected.length);
  });

  it('accepts null only where nullable and both forms of int-or-string', async () => {
    const base = { secretName: 's', issuerRef: { name: 'ca' } };
    const nullable = await raw(env, 'POST', path, {
      body: certificate('n', { ...base, revisionHistoryLimit: null, port: 8443 }),
    });
    expect(nullable.status).to.equal(201);
    const named = await raw(env, 'POST', path, { body: certificate('m', { ...base, port: 'https' }) });
    expect(named.status).to.equal(201);
    const notNullable = await raw(env, 'POST', path, {
      body: certificate('o', { ...base, commonName: null }),
    });
    expect(notNullable.status).to.equal(422);
    expect((notNullable.json as InvalidStatus).message).to.contain(
      'spec.commonName: Invalid value: "null": spec.commonName in body must be of type string: "null"',
    );
  });

  it('evaluates x-kubernetes-validations rules, transition rules only on update', async () => {
    const base = { secretName: 's', issuerRef: { name: 'ca' } };
    const same = await raw(env, 'POST', path, {
      body: certificate('c', { ...base, duration: '10h', renewBefore: '10h' }),
    });
    expect(same.status).to.equal(422);
    expect((same.json as InvalidStatus).details.causes).to.deep.equal([
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "object": renewBefore must differ from duration',
        field: 'spec',
      },
    ]);
    const created = await raw(env, 'POST', path, { body: certificate('c', { ...base, renewBefore: '1h' }) });
    expect(created.status).to.equal(201);
    const renamed = await raw(env, 'PATCH', `${path}/c`, {
      body: { spec: { secretName: 'other' } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(renamed.status).to.equal(422);
    expect((renamed.json as InvalidStatus).message).to.equal(
      `Certificate.${group} "c" is invalid: spec: Invalid value: "object": secretName is immutable`,
    );
    const unchanged = await raw(env, 'PATCH', `${path}/c`, {
      body: { spec: { commonName: 'example.com' } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(unchanged.status).to.equal(200);
  });

  it('validates and prunes status writes of the status subresource', async () => {
    await raw(env, 'POST', path, { body: certificate('st', { secretName: 's', issuerRef: { name: 'ca' } }) });
    const bad = await raw(env, 'PATCH', `${path}/st/status`, {
      body: { status: { revision: 0, conditions: [{ type: 'Ready', status: 'Maybe' }] } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(bad.status).to.equal(422);
    const causes = (bad.json as InvalidStatus).details.causes.map((cause) => cause.field);
    expect(causes).to.have.members(['status.revision', 'status.conditions[0].status']);
    const good = await raw(env, 'PATCH', `${path}/st/status`, {
      body: { status: { revision: 1, junk: true, conditions: [{ type: 'Ready', status: 'True' }] } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(good.status).to.equal(200);
    expect(good.json).to.have.nested.property('status.revision', 1);
    expect(good.json).not.to.have.nested.property('status.junk');
  });

  it('answers client-node with a 422 ApiException carrying the causes', async () => {
    const api = env.kubeConfig.makeApiClient(CustomObjectsApi);
    const failure = await apiFailure(
      api.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: env.namespace,
        plural: 'certificates',
        body: certificate('cn', { secretName: 's', issuerRef: { name: 'ca' }, replicas: -1 }),
      }),
    );
    expect(failure.code).to.equal(422);
    expect(failure.body.message).to.contain(
      'spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
    );
  });

  it('lets kubectl create a valid certificate, show it, and refuse an invalid one with the causes', async () => {
    const good = await kubectl.manifest('good', [
      certificate('k', { secretName: 'k-tls', issuerRef: { name: 'ca' } }),
    ]);
    await kubectl.ok('create', '-f', good);
    const shown = await kubectl.ok('get', 'certs');
    const [header, row] = shown.trimEnd().split('\n');
    // The CRD declares Secret, Issuer (priority 1) and its own Age: no second Age is added.
    expect(header?.split(/\s+/)).to.deep.equal(['NAME', 'SECRET', 'AGE']);
    expect(row, shown).to.match(/^(certificate\.\S+\/)?k\s+k-tls\s+\d+s$/);
    const wide = await kubectl.ok('get', 'certs', '-o', 'wide');
    expect(wide.split('\n')[0]?.split(/\s+/)).to.deep.equal(['NAME', 'SECRET', 'ISSUER', 'AGE']);
    const bad = await kubectl.manifest('bad', [
      certificate('b', { secretName: 'b', issuerRef: {}, replicas: 101 }),
    ]);
    const result = await kubectl.run('create', '-f', bad);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain(`The Certificate "b" is invalid:`);
    expect(result.stderr).to.contain(
      'spec.replicas: Invalid value: 101: spec.replicas in body should be less than or equal to 100',
    );
    expect(result.stderr).to.contain('spec.issuerRef.name: Required value');
  });
});

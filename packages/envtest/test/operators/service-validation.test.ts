import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw } from '../support/raw-client.js';
import {
  duplicate,
  expectInvalid,
  forbidden,
  invalid,
  required,
  unsupported,
} from '../support/invalid-status.js';

const PORT_RANGE = 'must be between 1 and 65535, inclusive';
const service = { kind: 'Service', group: '', name: 's' };

describe('envtest Service validation (as kube-apiserver)', () => {
  const env = useEnvtest();
  const create = (spec: Record<string, unknown>) =>
    raw(env, 'POST', `/api/v1/namespaces/${env.namespace}/services`, {
      body: { metadata: { name: 's' }, spec },
    });

  it('answers 422 to port 0 (and the targetPort defaulted from it)', async () => {
    const answer = await create({ ports: [{ port: 0 }] });
    expectInvalid(
      answer,
      service,
      `Service "s" is invalid: [spec.ports[0].port: Invalid value: 0: ${PORT_RANGE}, spec.ports[0].targetPort: Invalid value: 0: ${PORT_RANGE}]`,
      [invalid('spec.ports[0].port', '0', PORT_RANGE), invalid('spec.ports[0].targetPort', '0', PORT_RANGE)],
    );
  });

  it('answers 422 to port 70000', async () => {
    const answer = await create({ ports: [{ port: 70000, targetPort: 8080 }] });
    expectInvalid(
      answer,
      service,
      `Service "s" is invalid: spec.ports[0].port: Invalid value: 70000: ${PORT_RANGE}`,
      [invalid('spec.ports[0].port', '70000', PORT_RANGE)],
    );
  });

  it('answers 422 to an unnamed port beside another', async () => {
    const answer = await create({ ports: [{ port: 80 }, { name: 'b', port: 81 }] });
    expectInvalid(answer, service, 'Service "s" is invalid: spec.ports[0].name: Required value', [
      required('spec.ports[0].name'),
    ]);
  });

  it('answers 422 to duplicate port names', async () => {
    const answer = await create({
      ports: [
        { name: 'a', port: 80 },
        { name: 'a', port: 81 },
      ],
    });
    expectInvalid(answer, service, 'Service "s" is invalid: spec.ports[1].name: Duplicate value: "a"', [
      duplicate('spec.ports[1].name', '"a"'),
    ]);
  });

  it('answers 422 to two ports with one protocol and number', async () => {
    const answer = await create({
      ports: [
        { name: 'a', port: 80 },
        { name: 'b', port: 80, targetPort: 8080 },
      ],
    });
    const key =
      'core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}';
    expectInvalid(answer, service, `Service "s" is invalid: spec.ports[1]: Duplicate value: ${key}`, [
      duplicate('spec.ports[1]', key),
    ]);
  });

  it('answers 422 to an unsupported type', async () => {
    const answer = await create({ type: 'Bogus', ports: [{ port: 80 }] });
    const cause = unsupported('spec.type', 'Bogus', [
      'ClusterIP',
      'ExternalName',
      'LoadBalancer',
      'NodePort',
    ]);
    expectInvalid(answer, service, `Service "s" is invalid: spec.type: ${cause.message}`, [cause]);
  });

  it('answers 422 to a nodePort on a ClusterIP Service', async () => {
    const answer = await create({ ports: [{ port: 80, nodePort: 30080 }] });
    const cause = forbidden('spec.ports[0].nodePort', "may not be used when `type` is 'ClusterIP'");
    expectInvalid(answer, service, `Service "s" is invalid: spec.ports[0].nodePort: ${cause.message}`, [
      cause,
    ]);
  });

  it('answers 422 to a ClusterIP Service without ports', async () => {
    const answer = await create({ selector: { app: 'a' } });
    expectInvalid(answer, service, 'Service "s" is invalid: spec.ports: Required value', [
      required('spec.ports'),
    ]);
  });

  it('answers 422 to an unsupported protocol and a bad targetPort name', async () => {
    const answer = await create({ ports: [{ port: 80, protocol: 'HTTP', targetPort: 'web--1' }] });
    const protocol = unsupported('spec.ports[0].protocol', 'HTTP', ['SCTP', 'TCP', 'UDP']);
    const target = invalid('spec.ports[0].targetPort', '"web--1"', 'must not contain consecutive hyphens');
    expectInvalid(
      answer,
      service,
      `Service "s" is invalid: [spec.ports[0].protocol: ${protocol.message}, spec.ports[0].targetPort: ${target.message}]`,
      [protocol, target],
    );
  });

  it('answers 422 to an ExternalName Service without externalName or with a clusterIP', async () => {
    const answer = await create({ type: 'ExternalName', clusterIP: '10.96.0.20' });
    expectInvalid(
      answer,
      service,
      'Service "s" is invalid: [spec.clusterIP: Forbidden: must be empty for ExternalName services, spec.externalName: Required value]',
      [forbidden('spec.clusterIP', 'must be empty for ExternalName services'), required('spec.externalName')],
    );
  });

  it('accepts headless and ExternalName Services without ports', async () => {
    const headless = await create({ clusterIP: 'None', selector: { app: 'a' } });
    expect(headless.status, headless.text).to.equal(201);
    const external = await raw(env, 'POST', `/api/v1/namespaces/${env.namespace}/services`, {
      body: { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } },
    });
    expect(external.status, external.text).to.equal(201);
  });

  it('checks ports on update too', async () => {
    expect((await create({ ports: [{ port: 80 }] })).status).to.equal(201);
    const answer = await raw(env, 'PUT', `/api/v1/namespaces/${env.namespace}/services/s`, {
      body: { metadata: { name: 's' }, spec: { ports: [{ port: 80 }, { port: 81 }] } },
    });
    expectInvalid(
      answer,
      service,
      'Service "s" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]',
      [required('spec.ports[0].name'), required('spec.ports[1].name')],
    );
  });
});

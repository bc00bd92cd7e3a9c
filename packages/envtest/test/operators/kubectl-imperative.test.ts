import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { useKubectl } from '../support/kubectl.js';
import { raw } from '../support/raw-client.js';

describe("kubectl's imperative commands (protobuf bodies) against envtest", () => {
  const env = useEnvtest({ users: [{ name: 'viewer' }] });
  const kubectl = useKubectl(env);

  it('creates deployments, jobs, cronjobs, services, RBAC objects, ingresses and PDBs', async () => {
    const commands: string[][] = [
      ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '--port=80'],
      ['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'],
      ['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *'],
      ['create', 'service', 'clusterip', 'web', '--tcp=80:8080'],
      ['create', 'role', 'reader', '--verb=get,list', '--resource=pods'],
      ['create', 'rolebinding', 'reader', '--role=reader', '--user=viewer'],
      ['create', 'clusterrole', `reader-${env.namespace}`, '--verb=get', '--resource=nodes'],
      [
        'create',
        'clusterrolebinding',
        `reader-${env.namespace}`,
        `--clusterrole=reader-${env.namespace}`,
        '--group=ops',
      ],
      ['create', 'ingress', 'web', '--rule=web.example.com/*=web:80'],
      ['create', 'poddisruptionbudget', 'web', '--selector=app=web', '--min-available=1'],
      ['create', 'serviceaccount', 'runner'],
    ];
    for (const command of commands) {
      const result = await kubectl.run(...command);
      expect(result.code, `kubectl ${command.join(' ')}: ${result.stderr}`).to.equal(0);
    }
    const deployment = await raw(env, 'GET', `/apis/apps/v1/namespaces/${env.namespace}/deployments/web`);
    expect(deployment.json).to.have.nested.property('spec.replicas', 2);
    expect(deployment.json).to.have.nested.property(
      'spec.template.spec.containers[0].ports[0].containerPort',
      80,
    );
    expect(deployment.json).to.have.nested.property('spec.strategy.rollingUpdate.maxSurge', '25%');
    const service = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/services/web`);
    expect(service.json).to.have.nested.property('spec.ports[0].targetPort', 8080);
    const job = await raw(env, 'GET', `/apis/batch/v1/namespaces/${env.namespace}/jobs/once`);
    expect(job.json).to.have.deep.nested.property('spec.template.spec.containers[0].command', ['echo', 'hi']);
    const binding = await raw(
      env,
      'GET',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${env.namespace}/rolebindings/reader`,
    );
    expect(binding.json).to.have.nested.property('subjects[0].name', 'viewer');
    const ingress = await raw(
      env,
      'GET',
      `/apis/networking.k8s.io/v1/namespaces/${env.namespace}/ingresses/web`,
    );
    expect(ingress.json).to.have.nested.property(
      'spec.rules[0].http.paths[0].backend.service.port.number',
      80,
    );
    const pdb = await raw(env, 'GET', `/apis/policy/v1/namespaces/${env.namespace}/poddisruptionbudgets/web`);
    expect(pdb.json).to.have.nested.property('spec.minAvailable', 1);
    const shown = await kubectl.ok('get', 'deployments,jobs,cronjobs,services,roles,ingresses,pdb');
    for (const name of ['deployment.apps/web', 'job.batch/once', 'cronjob.batch/nightly', 'service/web']) {
      expect(shown).to.contain(name);
    }
  });

  it('answers kubectl auth can-i (a protobuf SelfSubjectAccessReview) truthfully', async () => {
    expect((await kubectl.run('auth', 'can-i', 'delete', 'nodes')).stdout.trim()).to.equal('yes');
    const asViewer = await kubectl.run('--context', 'viewer', 'auth', 'can-i', 'list', 'pods');
    expect(asViewer.stdout.trim(), asViewer.stderr).to.equal('no');
    await kubectl.ok('create', 'role', 'lister', '--verb=list', '--resource=pods');
    await kubectl.ok('create', 'rolebinding', 'lister', '--role=lister', '--user=viewer');
    const allowed = await kubectl.run('--context', 'viewer', 'auth', 'can-i', 'list', 'pods');
    expect(allowed.stdout.trim(), allowed.stderr).to.equal('yes');
  });

  it('issues a service account token with kubectl create token (a protobuf TokenRequest)', async () => {
    await kubectl.ok('create', 'serviceaccount', 'bot');
    const token = (await kubectl.ok('create', 'token', 'bot', '--duration=1h')).trim();
    expect(token).to.match(/^[A-Za-z0-9_-]{20,}$/);
    const answer = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/pods`, { token });
    expect(answer.status).to.equal(403);
    expect((answer.json as { message: string }).message).to.contain(
      `User "system:serviceaccount:${env.namespace}:bot"`,
    );
  });

  it('creates configmaps, secrets, namespaces and other service types, keeping explicit zero values only', async () => {
    const commands: string[][] = [
      ['create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=level=3'],
      ['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret'],
      [
        'create',
        'secret',
        'docker-registry',
        'pull',
        '--docker-server=registry.example.com',
        '--docker-username=u',
        '--docker-password=p',
      ],
      ['create', 'namespace', `extra-${env.namespace}`],
      ['create', 'service', 'nodeport', 'np', '--tcp=80:8080'],
      ['create', 'service', 'externalname', 'ext', '--external-name=db.example.com'],
      ['create', 'service', 'loadbalancer', 'lb', '--tcp=443:8443'],
      ['create', 'deployment', 'idle', '--image=nginx:1.27', '--replicas=0'],
    ];
    for (const command of commands) {
      const result = await kubectl.run(...command);
      expect(result.code, `kubectl ${command.join(' ')}: ${result.stderr}`).to.equal(0);
    }
    const base = `/api/v1/namespaces/${env.namespace}`;
    expect((await raw(env, 'GET', `${base}/configmaps/settings`)).json).to.have.deep.property('data', {
      mode: 'fast',
      level: '3',
    });
    const secret = (await raw(env, 'GET', `${base}/secrets/creds`)).json as { data: Record<string, string> };
    expect(Buffer.from(secret.data['password'] ?? '', 'base64').toString()).to.equal('s3cret');
    expect((await raw(env, 'GET', `${base}/secrets/pull`)).json).to.have.property(
      'type',
      'kubernetes.io/dockerconfigjson',
    );
    expect((await raw(env, 'GET', `/api/v1/namespaces/extra-${env.namespace}`)).status).to.equal(200);
    expect((await raw(env, 'GET', `${base}/services/np`)).json).to.have.nested.property(
      'spec.type',
      'NodePort',
    );
    expect((await raw(env, 'GET', `${base}/services/ext`)).json).to.have.nested.property(
      'spec.externalName',
      'db.example.com',
    );
    expect((await raw(env, 'GET', `${base}/services/lb`)).json).to.have.nested.property(
      'spec.ports[0].targetPort',
      8443,
    );
    // Go writes replicas (a pointer) as 0: it must not be defaulted to 1 as if absent.
    const idle = await raw(env, 'GET', `/apis/apps/v1/namespaces/${env.namespace}/deployments/idle`);
    expect(idle.json).to.have.nested.property('spec.replicas', 0);
    // Zero values Go writes for omitempty fields are not stored (kube-apiserver's JSON leaves them out).
    expect(idle.json).not.to.have.nested.property('spec.template.spec.containers[0].stdin');
    expect(idle.json).not.to.have.nested.property('spec.paused');
    await kubectl.ok('delete', 'namespace', `extra-${env.namespace}`, '--wait=false');
  });
});

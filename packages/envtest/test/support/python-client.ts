import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestEnvtest } from '@kubekit/envtest/testing';

/**
 * A Python that can import the official Kubernetes client (`pip install kubernetes`, or Debian's
 * python3-kubernetes), or undefined: `KUBEKIT_PYTHON` if set, else `python3` on PATH, else
 * `/usr/bin/python3`.
 */
export const pythonWithClient: string | undefined = [
  process.env['KUBEKIT_PYTHON'],
  'python3',
  '/usr/bin/python3',
]
  .filter((candidate): candidate is string => candidate !== undefined && candidate !== '')
  .find((candidate) => spawnSync(candidate, ['-c', 'import kubernetes'], { stdio: 'ignore' }).status === 0);

/**
 * The cases the Python client runs (`python3 - KUBECONFIG NAMESPACE CASE [CONTEXT]`), each printing
 * one JSON object: what the client returned, and for a failure its ApiException (status, reason,
 * the Status body).
 */
const SCRIPT = String.raw`import json, sys, threading
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

kubeconfig, namespace, case = sys.argv[1], sys.argv[2], sys.argv[3]
context = sys.argv[4] if len(sys.argv) > 4 else None
config.load_kube_config(config_file=kubeconfig, context=context)
core = client.CoreV1Api()

def failure(call):
    try:
        call()
    except ApiException as error:
        body = json.loads(error.body) if error.body else None
        return {'status': error.status, 'reason': error.reason, 'body': body}
    return None

def cm(name, data):
    body = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': name}}
    if data is not None:
        body['data'] = data
    return body

result = {}
if case == 'crud':
    created = core.create_namespaced_config_map(namespace, cm('a', {'k': 'v'}))
    result['created'] = created.metadata.resource_version
    result['exists'] = failure(lambda: core.create_namespaced_config_map(namespace, cm('a', {})))
    read = core.read_namespaced_config_map('a', namespace)
    read.data = {'k': 'w'}
    replaced = core.replace_namespaced_config_map('a', namespace, read)
    result['replaced'] = replaced.data
    stale = cm('a', {'k': 'x'})
    stale['metadata']['resourceVersion'] = created.metadata.resource_version
    result['conflict'] = failure(lambda: core.replace_namespaced_config_map('a', namespace, stale))
    result['names'] = [item.metadata.name for item in core.list_namespaced_config_map(namespace).items]
    core.delete_namespaced_config_map('a', namespace)
    result['missing'] = failure(lambda: core.read_namespaced_config_map('a', namespace))
    result['invalid'] = failure(lambda: core.create_namespaced_config_map(namespace, cm('Not_Valid', {})))
elif case == 'watch':
    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    # Written before the watch opens: a watch from start replays them.
    core.create_namespaced_config_map(namespace, cm('w', {'k': '1'}))
    core.patch_namespaced_config_map('w', namespace, {'data': {'k': '2'}})
    core.delete_namespaced_config_map('w', namespace)
    events = []
    stream = watch.Watch()
    for event in stream.stream(core.list_namespaced_config_map, namespace, resource_version=start, timeout_seconds=10):
        events.append([event['type'], event['object'].metadata.name, (event['object'].data or {}).get('k')])
        if len(events) == 3:
            stream.stop()
    result['events'] = events
elif case == 'apply':
    api = client.ApiClient()
    def apply(manager, data, force=False):
        # The client's typed patch methods cannot send an apply patch: its REST layer sends a
        # str body as is, and JSON is YAML.
        query = [('fieldManager', manager)] + ([('force', 'true')] if force else [])
        return api.call_api(
            '/api/v1/namespaces/{namespace}/configmaps/{name}', 'PATCH',
            path_params={'namespace': namespace, 'name': 'ssa'}, query_params=query,
            header_params={'Content-Type': 'application/apply-patch+yaml', 'Accept': 'application/json'},
            body=json.dumps(cm('ssa', data)), response_type='object', auth_settings=['BearerToken'],
            _return_http_data_only=True)
    def owners(applied):
        return [[e['manager'], e['operation'], e['fieldsV1']] for e in applied['metadata']['managedFields']]
    result['created'] = owners(apply('alpha', {'a': '1', 'shared': 'x'}))
    result['conflict'] = failure(lambda: apply('beta', {'shared': 'y'}))
    result['forced'] = owners(apply('beta', {'shared': 'y'}, force=True))
    result['afterRemoval'] = apply('alpha', None)['data']
elif case == 'forbidden':
    result['pods'] = failure(lambda: core.list_namespaced_pod(namespace))
elif case == 'status':
    deployment = client.AppsV1Api().create_namespaced_deployment(namespace, {
        'metadata': {'name': 'd'},
        'spec': {'selector': {'matchLabels': {'app': 'd'}}, 'template': {
            'metadata': {'labels': {'app': 'd'}}, 'spec': {'containers': [{'name': 'c', 'image': 'nginx'}]}}},
        'status': {'replicas': 7, 'readyReplicas': 7}})
    result['status'] = deployment.status.to_dict()
elif case == 'crd':
    group = 'python.example.com'
    client.ApiextensionsV1Api().create_custom_resource_definition({
        'metadata': {'name': 'widgets.' + group},
        'spec': {'group': group, 'scope': 'Namespaced',
                 'names': {'plural': 'widgets', 'singular': 'widget', 'kind': 'Widget', 'listKind': 'WidgetList'},
                 'versions': [{'name': 'v1', 'served': True, 'storage': True, 'schema': {'openAPIV3Schema': {
                     'type': 'object', 'properties': {'spec': {'type': 'object', 'required': ['size'], 'properties': {
                         'size': {'type': 'integer', 'minimum': 1},
                         'mode': {'type': 'string', 'enum': ['fast', 'safe'], 'default': 'safe'}}}}}}}]}})
    custom = client.CustomObjectsApi()
    def widget(name, spec):
        return {'apiVersion': group + '/v1', 'kind': 'Widget', 'metadata': {'name': name}, 'spec': spec}
    for attempt in range(50):
        # The CRD's API is served once it is Established, a moment after the create.
        try:
            created = custom.create_namespaced_custom_object(group, 'v1', namespace, 'widgets', widget('w', {'size': 2, 'extra': 1}))
            break
        except ApiException as error:
            if error.status != 404:
                raise
            import time
            time.sleep(0.1)
    result['created'] = created['spec']
    result['invalid'] = failure(lambda: custom.create_namespaced_custom_object(
        group, 'v1', namespace, 'widgets', widget('bad', {'size': 0, 'mode': 'slow'})))
elif case == 'protected':
    result['delete'] = failure(lambda: core.delete_namespace('kube-system'))
elif case == 'events':
    import datetime
    client.EventsV1Api().create_namespaced_event(namespace, {
        'metadata': {'name': 'e1'}, 'eventTime': datetime.datetime.now(datetime.timezone.utc),
        'regarding': {'kind': 'ConfigMap', 'name': 'x', 'namespace': namespace},
        'reason': 'Tested', 'note': 'from events.k8s.io/v1', 'type': 'Normal', 'action': 'Testing',
        'reportingController': 'example.com/test', 'reportingInstance': 'test-1'})
    listed = core.list_namespaced_event(namespace).items
    result['events'] = [[e.metadata.name, e.reason, e.message, e.involved_object.name, e.reporting_component] for e in listed]
print(json.dumps(result, default=str))
`;

/**
 * Registers mocha hooks that give each test a runner of the Python client cases against `env`
 * (a kubeconfig with every user's context in a fresh folder). Skips the suite without a Python
 * that has the client.
 */
export function usePythonClient(
  env: TestEnvtest,
): (testCase: string, context?: string) => Promise<Record<string, unknown>> {
  let dir = '';
  before(function () {
    if (pythonWithClient === undefined) this.skip();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envtest-python-'));
    await env.writeKubeconfig(join(dir, 'kubeconfig'));
    await writeFile(join(dir, 'cases.py'), SCRIPT);
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return (testCase, context) =>
    new Promise((resolve, reject) => {
      const args = [
        join(dir, 'cases.py'),
        join(dir, 'kubeconfig'),
        env.namespace,
        testCase,
        ...(context === undefined ? [] : [context]),
      ];
      execFile(
        pythonWithClient ?? 'python3',
        args,
        { encoding: 'utf8', timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error) {
            reject(new Error(`python case ${testCase} failed: ${stderr || error.message}`));
            return;
          }
          resolve(JSON.parse(stdout) as Record<string, unknown>);
        },
      );
    });
}

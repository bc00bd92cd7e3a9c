import type { KubeClient, KubeObject } from '@kubekit/client';

/** ConfigMaps of one namespace, written by an admin client: what the test fixtures share. */
export class ConfigMapWriter {
  constructor(
    readonly admin: KubeClient,
    readonly namespace: string,
  ) {}

  configMap(
    name: string,
    data: Record<string, string> = {},
    extra: KubeObject['metadata'] = {},
  ): KubeObject & { data: Record<string, string> } {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: this.namespace, ...extra },
      data,
    };
  }

  async create(
    name: string,
    data: Record<string, string> = {},
    extra: KubeObject['metadata'] = {},
  ): Promise<KubeObject> {
    return this.admin.create(this.configMap(name, data, extra));
  }

  async update(name: string, data: Record<string, string>): Promise<KubeObject> {
    return this.admin.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name },
      { data },
    );
  }

  async remove(name: string): Promise<void> {
    await this.admin.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name });
  }
}

import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '@kubekit/client';

/**
 * Creates `count` ConfigMaps `cm-<i>` in `namespace`, 100 at a time, each with the label
 * `app: bench` plus `labels(i)`, and data `key: value-<i>` and `other` (`otherBytes` × "x").
 */
export async function createConfigMaps(
  client: KubeClient,
  options: {
    readonly count: number;
    readonly namespace: string;
    readonly otherBytes: number;
    readonly labels?: (index: number) => Record<string, string>;
  },
): Promise<void> {
  const { count, namespace, otherBytes, labels } = options;
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, (_, j) =>
        client.create<ConfigMap>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${String(i + j)}`, namespace, labels: { app: 'bench', ...labels?.(i + j) } },
          data: { key: `value-${String(i + j)}`, other: 'x'.repeat(otherBytes) },
        }),
      ),
    );
  }
}

/**
 * Compares two resourceVersions: negative, zero or positive as `a` is older than, the same as or
 * newer than `b`; `undefined` when they cannot be ordered.
 *
 * Kubernetes calls resourceVersions opaque strings that clients must not compare. In practice
 * every API server backed by etcd (and envtest) hands out etcd revisions, decimal integers that
 * grow with every write; read-your-writes needs an order, so two versions that both parse as
 * non-negative integers are compared as numbers. Anything else (an aggregated API server with its
 * own scheme) is `undefined`, and callers fall back to "an event for the object arrived after the
 * write" (see `CachedClient`).
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  const x = parse(a);
  const y = parse(b);
  if (x === undefined || y === undefined) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}

function parse(value: string | undefined): bigint | undefined {
  if (value === undefined || !/^\d{1,30}$/.test(value)) return undefined;
  return BigInt(value);
}

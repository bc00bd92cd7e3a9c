/** A request for a resource, decoded from its path as kube-apiserver's RequestInfoFactory does. */
export interface ResourceRequestInfo {
  readonly kind: 'resource';
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  /** The legacy `/watch/` path prefix was used. */
  readonly watchPrefix: boolean;
}

/** Anything else: discovery, health, version, … */
export interface NonResourceRequestInfo {
  readonly kind: 'nonResource';
  readonly path: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Decodes a URL path (without query). Percent-encoded segments are decoded. */
export function parseRequestInfo(path: string): RequestInfo {
  const segments = path.split('/').filter((segment) => segment !== '');
  let parts: string[];
  let group: string;
  let version: string;
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1] ?? '';
    parts = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    parts = segments.slice(3);
  } else {
    return { kind: 'nonResource', path };
  }
  try {
    parts = parts.map((part) => decodeURIComponent(part));
  } catch {
    return { kind: 'nonResource', path };
  }
  let watchPrefix = false;
  if (parts[0] === 'watch') {
    watchPrefix = true;
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) {
      parts = parts.slice(2);
    } else {
      // The namespace object itself: /namespaces/NAME[/status].
      return {
        kind: 'resource',
        group,
        version,
        plural: 'namespaces',
        name: parts[1] ?? '',
        ...(parts[2] === undefined ? {} : { subresource: parts[2] }),
        watchPrefix,
      };
    }
  }
  const info: ResourceRequestInfo = {
    kind: 'resource',
    group,
    version,
    plural: parts[0] ?? '',
    ...(namespace === undefined ? {} : { namespace }),
    ...(parts[1] === undefined ? {} : { name: parts[1] }),
    ...(parts[2] === undefined ? {} : { subresource: parts[2] }),
    watchPrefix,
  };
  return parts.length > 3 ? { kind: 'nonResource', path } : info;
}

/** The `details` of a `Status`, as kube-apiserver fills them. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusCause {
  reason: string;
  message: string;
  /** Left out when the cause names no field (e.g. ResourceVersionTooLarge). */
  field?: string;
}

/** A `meta.k8s.io/v1` `Status` object of a failed request. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** What a Status error names: the plural resource and its API group (empty for core). */
export interface QualifiedResource {
  readonly group: string;
  readonly plural: string;
  readonly kind: string;
}

function qualified(resource: QualifiedResource): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

function resourceDetails(resource: QualifiedResource, name: string): StatusDetails {
  return resource.group
    ? { name, group: resource.group, kind: resource.plural }
    : { name, kind: resource.plural };
}

/** The reason kube-apiserver gives for an HTTP status code with no more specific reason. */
export function reasonForCode(code: number): string {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 406:
      return 'NotAcceptable';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 413:
      return 'RequestEntityTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalError';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return 'Unknown';
  }
}

/**
 * A failed API request: becomes a `Status` response with `code` as HTTP status. Thrown by the
 * storage and request handlers; never escapes the server.
 */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: StatusDetails,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = headers;
  }

  toStatus(): Status {
    // Field order as kube-apiserver writes it.
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      // A plain storage error has no reason (kube-apiserver leaves the field out).
      ...(this.reason === '' ? {} : { reason: this.reason }),
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.code,
    };
  }

  /**
   * kube-apiserver's answer to a read at a resourceVersion it has not reached after waiting for
   * it (storage.NewTooLargeResourceVersionError): 504 Timeout, retry after 1 s.
   */
  static tooLargeResourceVersion(requested: number, current: number): ApiError {
    return new ApiError(
      504,
      'Timeout',
      `Timeout: Too large resource version: ${requested}, current: ${current}`,
      {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      },
    );
  }

  static notFound(resource: QualifiedResource, name: string): ApiError {
    return new ApiError(
      404,
      'NotFound',
      `${qualified(resource)} "${name}" not found`,
      resourceDetails(resource, name),
    );
  }

  static alreadyExists(resource: QualifiedResource, name: string): ApiError {
    return new ApiError(
      409,
      'AlreadyExists',
      `${qualified(resource)} "${name}" already exists`,
      resourceDetails(resource, name),
    );
  }

  static conflict(resource: QualifiedResource, name: string, why: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(resource)} "${name}": ${why}`,
      resourceDetails(resource, name),
    );
  }

  static staleResourceVersion(resource: QualifiedResource, name: string): ApiError {
    return ApiError.conflict(
      resource,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }

  /** 422 Invalid; `details.kind` is the Kind, as kube-apiserver writes it for this reason. */
  static invalid(resource: QualifiedResource, name: string, causes: readonly StatusCause[]): ApiError {
    const qualifiedKind = resource.group ? `${resource.kind}.${resource.group}` : resource.kind;
    const list = causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message));
    const summary = list.length === 1 ? (list[0] ?? '') : `[${list.join(', ')}]`;
    const details: StatusDetails = resource.group
      ? { name, group: resource.group, kind: resource.kind, causes: [...causes] }
      : { name, kind: resource.kind, causes: [...causes] };
    return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, details);
  }

  static badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  }

  static forbidden(message: string): ApiError {
    return new ApiError(403, 'Forbidden', message);
  }

  /** 403 about one object, as admission plugins and the authorizer word it. */
  static forbiddenObject(resource: QualifiedResource, name: string, why: string): ApiError {
    return new ApiError(
      403,
      'Forbidden',
      `${qualified(resource)} "${name}" is forbidden: ${why}`,
      resourceDetails(resource, name),
    );
  }

  static expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  }

  static methodNotSupported(resource: QualifiedResource, action: string): ApiError {
    return new ApiError(
      405,
      'MethodNotAllowed',
      `${action} is not supported on resources of kind "${qualified(resource)}"`,
      { kind: resource.plural, ...(resource.group ? { group: resource.group } : {}) },
    );
  }

  /**
   * kube-apiserver's answer to a verb it has no route for on a resource (e.g. deletecollection of
   * namespaces): a 405 with empty details, as its router's error handler writes it.
   */
  static methodNotAllowed(): ApiError {
    return new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
      {},
    );
  }

  static resourceNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }

  /** A Status of any code, as a fault rule asks for. */
  static fromCode(code: number, message?: string, retryAfterSeconds?: number): ApiError {
    const reason = reasonForCode(code);
    const text = message ?? `injected fault: ${reason}`;
    if (retryAfterSeconds === undefined) return new ApiError(code, reason, text);
    return new ApiError(
      code,
      reason,
      text,
      { retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}

/** A cause for `ApiError.invalid` of reason `FieldValueInvalid`. */
export function invalidValue(field: string, value: unknown, why: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field };
}

/** A cause for `ApiError.invalid` of reason `FieldValueRequired`. */
export function requiredValue(field: string, why = 'Required value'): StatusCause {
  return { reason: 'FieldValueRequired', message: why, field };
}

/** A cause for `ApiError.invalid` of reason `FieldValueForbidden`. */
export function forbiddenValue(field: string, why: string): StatusCause {
  return { reason: 'FieldValueForbidden', message: `Forbidden: ${why}`, field };
}

/**
 * A FieldValueInvalid cause whose value is given as kube-apiserver prints it (Go syntax such as
 * `[]string{"/healthz"}`), not as JSON.
 */
export function invalidPrinted(field: string, printed: string, why: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${printed}: ${why}`, field };
}

/** A cause of reason `FieldValueDuplicate`; `printed` is the value as kube-apiserver prints it. */
export function duplicateValue(field: string, printed: string): StatusCause {
  return { reason: 'FieldValueDuplicate', message: `Duplicate value: ${printed}`, field };
}

/** A cause of reason `FieldValueNotSupported`, listing the supported values in kube's order. */
export function unsupportedValue(field: string, value: unknown, supported: readonly string[]): StatusCause {
  const shown =
    typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
  return {
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(shown)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
    field,
  };
}

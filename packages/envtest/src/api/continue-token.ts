import { ApiError } from './api-error.js';
import { isRecord } from './kube-object.js';

/** What a list `continue` token holds: the list's resourceVersion and the last key listed. */
export interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

export function decodeContinue(token: string): ContinueToken {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(decoded) && typeof decoded['rv'] === 'number' && typeof decoded['start'] === 'string') {
      return { rv: decoded['rv'], start: decoded['start'] };
    }
  } catch {
    // fall through
  }
  throw ApiError.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

/** The opaque `continue` token of a list page. */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

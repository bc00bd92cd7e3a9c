import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** `<hostname>_<random UUID>`: unique per process, recognisable per machine (as client-go's tools suggest). */
export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

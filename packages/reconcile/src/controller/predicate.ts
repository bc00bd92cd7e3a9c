import type { KubeObject } from '@kubekit/client';
import { compileSelector, type Selector } from '../cache/label-selector.js';
import type { ObjectEvent } from './source.js';

/** Decides whether an event reaches the handler (true) or is dropped (false). */
export type Predicate<T extends KubeObject = KubeObject> = (event: ObjectEvent<T>) => boolean;

function onUpdate<T extends KubeObject>(changed: (oldObject: T, object: T) => boolean): Predicate<T> {
  return (event) =>
    event.type !== 'update' || event.oldObject === undefined || changed(event.oldObject, event.object);
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = Object.entries(a ?? {});
  if (left.length !== Object.keys(b ?? {}).length) return false;
  return left.every(([key, value]) => b?.[key] === value);
}

/**
 * Passes updates that changed `metadata.generation` (the spec, for kinds with a status
 * subresource), and every other event. controller-runtime's `GenerationChangedPredicate`.
 */
export function generationChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return onUpdate((a, b) => a.metadata?.generation !== b.metadata?.generation);
}

/** Passes updates that changed `metadata.resourceVersion` (not resyncs), and every other event. */
export function resourceVersionChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return onUpdate((a, b) => a.metadata?.resourceVersion !== b.metadata?.resourceVersion);
}

/** Passes updates that changed the labels, and every other event. */
export function labelsChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return onUpdate((a, b) => !sameRecord(a.metadata?.labels, b.metadata?.labels));
}

/** Passes updates that changed the annotations, and every other event. */
export function annotationsChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return onUpdate((a, b) => !sameRecord(a.metadata?.annotations, b.metadata?.annotations));
}

/**
 * Passes events whose object's labels match `selector` (a `LabelSelector`, `{ key: value }`
 * equalities, or the string form `app=web,tier in (a,b)`). @throws ReconcileError `invalidArgument` for a malformed selector.
 */
export function labelSelector<T extends KubeObject = KubeObject>(selector: Selector): Predicate<T> {
  const matches = compileSelector(selector);
  return (event) => matches(event.object.metadata?.labels ?? {});
}

/** Passes when every predicate passes (true for none). */
export function and<T extends KubeObject = KubeObject>(...predicates: readonly Predicate<T>[]): Predicate<T> {
  return (event) => predicates.every((p) => p(event));
}

/** Passes when any predicate passes (false for none). */
export function or<T extends KubeObject = KubeObject>(...predicates: readonly Predicate<T>[]): Predicate<T> {
  return (event) => predicates.some((p) => p(event));
}

/** Passes when `predicate` does not. */
export function not<T extends KubeObject = KubeObject>(predicate: Predicate<T>): Predicate<T> {
  return (event) => !predicate(event);
}

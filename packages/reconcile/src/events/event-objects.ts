import type { KubeObject } from '@kubekit/client';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { EventsApi, EventType } from './event-recorder.js';

/** One event as recorded, before it is written in either API's shape. */
export interface EventRecord {
  readonly regarding: ObjectReference;
  readonly related: ObjectReference | undefined;
  readonly type: EventType;
  readonly reason: string;
  readonly action: string;
  readonly note: string;
  /** Where the Event object lives. */
  readonly namespace: string;
}

/** Who writes the events. */
export interface Reporter {
  readonly controller: string;
  readonly instance: string;
}

/** The series of an Event: how often it happened, first and last. */
export interface Occurrences {
  readonly count: number;
  readonly first: Date;
  readonly last: Date;
}

/** kube-apiserver's limit of an event's note / message. */
const NOTE_LIMIT = 1024;

/** An object reference to `object` (as client-go's `reference.GetReference`). */
export function referenceTo(object: KubeObject): ObjectReference {
  const metadata = object.metadata ?? {};
  return {
    ...(object.apiVersion !== undefined && { apiVersion: object.apiVersion }),
    ...(object.kind !== undefined && { kind: object.kind }),
    ...(metadata.namespace !== undefined && { namespace: metadata.namespace }),
    ...(metadata.name !== undefined && { name: metadata.name }),
    ...(metadata.uid !== undefined && { uid: metadata.uid }),
    ...(metadata.resourceVersion !== undefined && { resourceVersion: metadata.resourceVersion }),
  };
}

/** A note within kube-apiserver's 1 kB limit. */
export function truncateNote(note: string): string {
  return note.length <= NOTE_LIMIT ? note : `${note.slice(0, NOTE_LIMIT - 3)}...`;
}

/** RFC 3339 with microseconds, as `metav1.MicroTime`. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** RFC 3339 to the second, as `metav1.Time`. */
export function time(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The Event to create, in the shape of `api`. */
export function eventObject(
  api: EventsApi,
  name: string,
  record: EventRecord,
  reporter: Reporter,
  occurrences: Occurrences,
): KubeObject {
  const metadata = { name, namespace: record.namespace };
  if (api === 'events.k8s.io/v1') {
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata,
      eventTime: microTime(occurrences.first),
      ...(occurrences.count > 1 && { series: seriesOf(occurrences) }),
      reportingController: reporter.controller,
      reportingInstance: reporter.instance,
      action: record.action,
      reason: record.reason,
      regarding: record.regarding,
      ...(record.related !== undefined && { related: record.related }),
      note: record.note,
      type: record.type,
    } as KubeObject;
  }
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata,
    involvedObject: record.regarding,
    ...(record.related !== undefined && { related: record.related }),
    reason: record.reason,
    message: record.note,
    source: { component: reporter.controller, host: reporter.instance },
    firstTimestamp: time(occurrences.first),
    lastTimestamp: time(occurrences.last),
    count: occurrences.count,
    type: record.type,
    action: record.action,
    reportingComponent: reporter.controller,
    reportingInstance: reporter.instance,
  } as KubeObject;
}

/** The merge patch that brings an Event's series (core/v1: count) up to `occurrences`. */
export function seriesPatch(api: EventsApi, occurrences: Occurrences): object {
  return api === 'events.k8s.io/v1'
    ? { series: seriesOf(occurrences) }
    : { count: occurrences.count, lastTimestamp: time(occurrences.last) };
}

function seriesOf(occurrences: Occurrences): object {
  return { count: occurrences.count, lastObservedTime: microTime(occurrences.last) };
}

import type { RequestMatch } from '../envtest.js';
import { matchesRequest } from '../faults/request-attributes.js';
import type { WatchStream } from './watch-stream.js';

/** The open watch streams of a server, so that faults and `stop()` can close them. */
export class WatchRegistry {
  readonly #streams = new Set<WatchStream>();

  get size(): number {
    return this.#streams.size;
  }

  add(stream: WatchStream): void {
    this.#streams.add(stream);
  }

  delete(stream: WatchStream): void {
    this.#streams.delete(stream);
  }

  /** Closes the streams whose request matches; `destroy` cuts their connections instead of ending them. */
  drop(match: RequestMatch, destroy: boolean): number {
    let closed = 0;
    for (const stream of [...this.#streams]) {
      if (!matchesRequest(match, stream.request.attributes)) continue;
      stream.close(destroy);
      closed += 1;
    }
    return closed;
  }

  /** Stalls the streams whose request matches (see `WatchStream.stall`); returns how many. */
  stall(match: RequestMatch): number {
    let stalled = 0;
    for (const stream of this.#streams) {
      if (matchesRequest(match, stream.request.attributes) && stream.stall()) stalled += 1;
    }
    return stalled;
  }

  /** Arms the streams whose request matches to cut their next event (see `WatchStream.cutMidEvent`); returns how many. */
  cutMidEvent(match: RequestMatch): number {
    let armed = 0;
    for (const stream of this.#streams) {
      if (matchesRequest(match, stream.request.attributes) && stream.cutMidEvent()) armed += 1;
    }
    return armed;
  }

  /** Writes `text` as it is on the streams whose request matches; returns how many got it. */
  writeRaw(match: RequestMatch, text: string): number {
    let written = 0;
    for (const stream of this.#streams) {
      if (matchesRequest(match, stream.request.attributes) && stream.writeRaw(text)) written += 1;
    }
    return written;
  }

  /** Ends (normally) the streams watching a storage: its resource is no longer served. */
  endStorage(storageId: string): number {
    let closed = 0;
    for (const stream of [...this.#streams]) {
      if (stream.request.type.storageId !== storageId) continue;
      stream.close(false);
      closed += 1;
    }
    return closed;
  }

  closeAll(): void {
    for (const stream of [...this.#streams]) stream.close(true);
    this.#streams.clear();
  }
}

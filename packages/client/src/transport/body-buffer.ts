import { constants } from 'node:buffer';

/** The smallest Buffer of its own a body grows into, in bytes. */
const MIN_CAPACITY = 16 * 1024;
/**
 * The most a body reserves ahead of the bytes it has, by its `content-length`, in bytes: a server
 * that announces a large body and then stalls costs at most this much.
 */
const MAX_RESERVE = 16 * 1024 * 1024;
/**
 * The longest body that can still become one string (UTF-8 takes at most 3 bytes per UTF-16
 * code unit, and no string is longer than `MAX_STRING_LENGTH`): a longer one fails as it arrives,
 * not after its last byte.
 */
export const MAX_BODY_BYTES = 3 * constants.MAX_STRING_LENGTH;

const empty = Buffer.alloc(0);

/**
 * The bytes of one answer's body as they arrive, kept in one piece so that decoding needs no
 * joined copy. The first chunk is kept as undici handed it over (most answers are one chunk: no
 * copy); once a body outgrows it, the bytes move into a Buffer of the body's own, sized by its
 * `content-length` when known (up to 16 MiB ahead of the bytes received) and grown by doubling
 * otherwise, and every chunk is copied in as it arrives, so undici's chunks die young.
 *
 * {@link text} decodes the body and frees that Buffer at once (detaching its ArrayBuffer, so its
 * memory does not wait for a GC while `JSON.parse` builds the objects); so does {@link release}.
 * A BodyBuffer is read once: after either, it is empty.
 */
export class BodyBuffer {
  /** The bytes so far: `bytes[0, length)`. */
  private bytes: Buffer = empty;
  private length = 0;
  /** Is `bytes` a Buffer of this body's own (freed by {@link release}), not undici's chunk? */
  private owned = false;

  /** `expectedLength`: the body's `content-length`, if the answer said. */
  constructor(private readonly expectedLength?: number) {}

  /** Bytes received so far. */
  get size(): number {
    return this.length;
  }

  /** @throws RangeError once the body is longer than {@link MAX_BODY_BYTES}. */
  append(chunk: Buffer): void {
    const needed = this.length + chunk.length;
    if (needed > MAX_BODY_BYTES)
      throw new RangeError(`the answer is longer than ${String(MAX_BODY_BYTES)} bytes`);
    if (this.length === 0 && !this.owned && needed >= (this.expectedLength ?? 0)) {
      // The whole body in one chunk so far: keep undici's Buffer, copy nothing.
      this.bytes = chunk;
      this.length = chunk.length;
      return;
    }
    if (!this.owned || needed > this.bytes.length) this.grow(needed);
    chunk.copy(this.bytes, this.length);
    this.length = needed;
  }

  /** The text of the first `maxBytes` bytes (UTF-8; a character cut at the end shows as U+FFFD). */
  start(maxBytes: number): string {
    const from = this.hasBom() ? 3 : 0;
    return this.bytes.toString('utf8', from, Math.max(from, Math.min(this.length, maxBytes)));
  }

  /** Does the body start with a UTF-8 byte order mark (which the text leaves out)? */
  private hasBom(): boolean {
    const { bytes, length } = this;
    return length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  }

  /**
   * The whole body as text (UTF-8, without a byte order mark, as undici's `body.text()`); frees
   * the bytes (see {@link release}). Throws Node's `ERR_STRING_TOO_LONG` for a body longer than
   * the longest string.
   */
  text(): string {
    const { bytes, length } = this;
    try {
      return bytes.toString('utf8', this.hasBom() ? 3 : 0, length);
    } finally {
      this.release();
    }
  }

  /** Drops the bytes; a Buffer of the body's own is freed now rather than at a later GC. Idempotent. */
  release(): void {
    if (this.owned) free(this.bytes);
    this.bytes = empty;
    this.length = 0;
    this.owned = false;
  }

  /** Moves the bytes into a Buffer of the body's own that holds at least `needed` bytes. */
  private grow(needed: number): void {
    const doubled = Math.max(needed, MIN_CAPACITY, 2 * this.bytes.length);
    const capacity =
      this.expectedLength !== undefined && this.expectedLength >= needed
        ? Math.min(this.expectedLength, Math.max(doubled, MAX_RESERVE))
        : doubled;
    // Every byte of it is written before it is read: no need to zero it.
    const next = Buffer.allocUnsafeSlow(capacity);
    this.bytes.copy(next, 0, 0, this.length);
    if (this.owned) free(this.bytes);
    this.bytes = next;
    this.owned = true;
  }
}

/**
 * Frees a Buffer from `Buffer.allocUnsafeSlow` (which has an ArrayBuffer of its own, never Node's
 * shared pool) now: `transfer(0)` detaches its ArrayBuffer, so V8 releases the memory and its
 * external-memory accounting at once. Every view of it becomes empty.
 */
function free(buffer: Buffer): void {
  const memory = buffer.buffer;
  // `transfer` is new in Node 21; without it the memory waits for a GC.
  if (memory instanceof ArrayBuffer && typeof memory.transfer === 'function') memory.transfer(0);
}

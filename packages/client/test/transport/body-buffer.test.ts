import { expect } from 'chai';
import { BodyBuffer, MAX_BODY_BYTES } from '#lib/transport/body-buffer.js';

/** `text` cut into chunks of `size` bytes, each a view of one shared Buffer (as undici hands them over). */
function chunksOf(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

function collect(chunks: readonly Buffer[], expectedLength?: number): BodyBuffer {
  const body = new BodyBuffer(expectedLength);
  for (const chunk of chunks) body.append(chunk);
  return body;
}

describe('BodyBuffer', () => {
  const text = `{"items":[${Array.from({ length: 3000 }, (_, i) => `{"name":"cm-${String(i)}","é":"ü€𝄞"}`).join(',')}]}`;
  const bytes = Buffer.byteLength(text);

  describe('.text', () => {
    it('decodes the chunks as one text, with characters cut between chunks, whatever the content-length', () => {
      for (const size of [1, 7, 1000, 16 * 1024 + 3, bytes]) {
        expect(collect(chunksOf(text, size)).text(), `chunks of ${String(size)}`).to.equal(text);
        expect(collect(chunksOf(text, size), bytes).text(), `chunks of ${String(size)}, sized`).to.equal(
          text,
        );
      }
    });

    it('drops a UTF-8 byte order mark, as undici does', () => {
      expect(collect([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x7b, 0x7d])]).text()).to.equal('{}');
      expect(collect([Buffer.from('\u{feff}{}', 'utf8')]).text()).to.equal('{}');
    });

    it('is empty for no chunks', () => {
      expect(new BodyBuffer().text()).to.equal('');
      expect(new BodyBuffer(0).text()).to.equal('');
    });

    it('reserves at most 16 MiB ahead for a large content-length, and still reads the whole body', () => {
      const before = process.memoryUsage().arrayBuffers;
      const body = new BodyBuffer(400 * 2 ** 20);
      body.append(Buffer.from('{"items":['));
      body.append(Buffer.from('{}]}'));
      expect(process.memoryUsage().arrayBuffers - before).to.be.below(17 * 2 ** 20);
      expect(body.text()).to.equal('{"items":[{}]}');
      const big = 'x'.repeat(20 * 2 ** 20); // past the reserve: it grows
      expect(collect(chunksOf(big, 4 * 2 ** 20), big.length).text()).to.equal(big);
    });

    it('refuses a body longer than any string could be, before taking its bytes', () => {
      const body = new BodyBuffer();
      body.append(Buffer.from('{'));
      // Only the length is looked at before the refusal: no such Buffer needs to exist.
      const huge = { length: MAX_BODY_BYTES } as Buffer;
      expect(() => {
        body.append(huge);
      }).to.throw(RangeError, /longer than/);
      expect(body.text()).to.equal('{');
    });

    it('grows past a content-length that was too small', () => {
      expect(collect(chunksOf(text, 5000), 10).text()).to.equal(text);
    });

    it('leaves a body that came as one chunk untouched: the chunk is undici’s, not the body’s', () => {
      const [chunk] = chunksOf('{"kind":"Lease"}', 1000);
      const body = collect([chunk ?? Buffer.alloc(0)], 16);
      expect(body.text()).to.equal('{"kind":"Lease"}');
      expect(chunk?.toString()).to.equal('{"kind":"Lease"}');
    });

    it('frees the memory of the bytes it copied at once, without waiting for a GC', () => {
      const big = 'x'.repeat(8 * 2 ** 20);
      for (const expectedLength of [undefined, big.length]) {
        const chunks = chunksOf(big, 64 * 1024); // views of one Buffer, kept alive here
        const body = collect(chunks, expectedLength);
        const before = process.memoryUsage().arrayBuffers;
        expect(body.text()).to.have.length(big.length);
        const freed = before - process.memoryUsage().arrayBuffers;
        expect(freed, `content-length ${String(expectedLength)}`).to.be.at.least(big.length);
        expect(chunks.every((chunk) => chunk.length === 64 * 1024)).to.equal(true);
      }
    });

    it('is empty once read', () => {
      const body = collect(chunksOf(text, 1000));
      body.text();
      expect(body.size).to.equal(0);
      expect(body.text()).to.equal('');
    });
  });

  describe('.start', () => {
    it('decodes at most the first bytes asked for, also while chunks keep coming', () => {
      const decoded = (length: number): string => Buffer.from(text).subarray(0, length).toString('utf8');
      const body = new BodyBuffer();
      const chunks = chunksOf(text, 100);
      body.append(chunks[0] ?? Buffer.alloc(0));
      expect(body.start(64)).to.equal(decoded(64));
      expect(body.start(1000)).to.equal(decoded(100));
      for (const chunk of chunks.slice(1, 20)) body.append(chunk);
      expect(body.start(1000)).to.equal(decoded(1000));
      expect(body.size).to.equal(2000);
    });

    it('leaves out a byte order mark, as the text does', () => {
      const body = collect([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x7b, 0x7d])]);
      expect(body.start(2)).to.equal('');
      expect(body.start(4)).to.equal('{');
      expect(body.start(64)).to.equal('{}');
    });
  });

  describe('.release', () => {
    it('frees the copied bytes and empties the body; calling it again does nothing', () => {
      const body = collect(chunksOf('x'.repeat(4 * 2 ** 20), 64 * 1024));
      const before = process.memoryUsage().arrayBuffers;
      body.release();
      body.release();
      expect(before - process.memoryUsage().arrayBuffers).to.be.at.least(4 * 2 ** 20);
      expect(body.size).to.equal(0);
    });
  });
});

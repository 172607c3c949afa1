/**
 * Pulls exact byte counts out of a Readable, in paused mode, so that the tar reader can be plain
 * sequential code. Every byte taken from the input goes through `onBytes` first (count, hash, limit).
 *
 * On failure the reader detaches without destroying the input: an HTTP caller can still answer
 * 413/400 before it closes the connection.
 */
import type { Readable } from 'node:stream';

/** The input ended in the middle of something; the caller maps it to ERR_UPLOAD_CHECKSUM. */
export class TruncatedError extends Error {}

export class ByteReader {
  readonly #input: Readable;
  readonly #onBytes: (chunk: Buffer) => void;
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: event listeners of several shapes
  readonly #listeners: Array<[string, (...args: any[]) => void]>;

  constructor(input: Readable, onBytes: (chunk: Buffer) => void) {
    this.#input = input;
    this.#onBytes = onBytes;
    const wake = () => {
      const resolve = this.#wake;
      this.#wake = undefined;
      resolve?.();
    };
    this.#listeners = [
      ['readable', wake],
      [
        'end',
        () => {
          this.#ended = true;
          wake();
        },
      ],
      [
        'close',
        () => {
          this.#closed = true;
          wake();
        },
      ],
      [
        'error',
        (error: Error) => {
          this.#error = error;
          wake();
        },
      ],
    ];
    for (const [event, listener] of this.#listeners) input.on(event, listener);
  }

  /** Takes one more chunk from the input into the buffer; false at the end of the input. */
  async #pull(): Promise<boolean> {
    for (;;) {
      if (this.#error) throw this.#error;
      const chunk: Buffer | string | null = this.#input.read();
      if (chunk !== null) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        this.#onBytes(bytes);
        this.#buffered.push(bytes);
        this.#bufferedBytes += bytes.length;
        return true;
      }
      if (this.#ended || this.#input.readableEnded) return false;
      if (this.#closed || this.#input.destroyed) throw new TruncatedError('the upload stream closed early');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #take(length: number): Buffer {
    const all = this.#buffered.length === 1 ? this.#buffered[0]! : Buffer.concat(this.#buffered);
    this.#buffered = length < all.length ? [all.subarray(length)] : [];
    this.#bufferedBytes = all.length - length;
    return all.subarray(0, length);
  }

  /** Exactly `length` bytes; undefined if the input ends before the first byte; throws if it ends midway. */
  async exact(length: number): Promise<Buffer | undefined> {
    while (this.#bufferedBytes < length) {
      if (!(await this.#pull())) {
        if (this.#bufferedBytes === 0) return undefined;
        throw new TruncatedError('the archive ends in the middle of a block');
      }
    }
    return this.#take(length);
  }

  /** Yields chunks that add up to exactly `length` bytes, without holding more than one chunk. */
  async *chunks(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      if (this.#bufferedBytes === 0 && !(await this.#pull())) {
        throw new TruncatedError('the archive ends in the middle of an entry');
      }
      const chunk = this.#take(Math.min(left, this.#bufferedBytes));
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Reads and discards whatever follows, to the end of the input (still counted and hashed). */
  async drain(): Promise<void> {
    while (await this.#pull()) this.#take(this.#bufferedBytes);
  }

  detach(): void {
    for (const [event, listener] of this.#listeners) this.#input.off(event, listener);
  }
}

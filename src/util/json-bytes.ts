/** Bytes of a new chunk (more when one piece of text needs it). */
const CHUNK = 256 * 1024;

/**
 * JSON text written piece by piece straight into UTF-8 bytes. A large answer (a page of volumes,
 * the whole topology: up to tens of MiB) is never one string: each piece becomes garbage as soon
 * as it is written, so the collector does not copy and promote a request's worth of strings, and
 * V8 does not flatten a huge concatenation.
 */
export class JsonBytes {
  private readonly full: Buffer[] = [];
  private chunk = Buffer.allocUnsafe(CHUNK);
  private at = 0;

  push(text: string): this {
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so the piece always fits whole.
    if (this.chunk.length - this.at < text.length * 3) {
      this.full.push(this.chunk.subarray(0, this.at));
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK, text.length * 3));
      this.at = 0;
    }
    this.at += this.chunk.write(text, this.at, 'utf8');
    return this;
  }

  /** `value` as JSON. */
  value(value: unknown): this {
    return this.push(JSON.stringify(value));
  }

  /**
   * The bytes written, then `suffix`, in chunks (not copied into one buffer: a large answer would
   * need twice its size). The writer is not used after this.
   */
  finish(suffix = ''): Buffer[] {
    this.push(suffix);
    this.full.push(this.chunk.subarray(0, this.at));
    return this.full;
  }
}

/**
 * Encodes Avro values into shared slabs and hands out views of them. avsc's
 * toBuffer allocates a zero-filled Buffer of its own per value (a separate
 * ArrayBuffer, not from Node's pool): for small events that allocation, its
 * zeroing and its collection cost more than the encoding itself. A slab stays
 * alive while any view of it does; a value larger than a slab gets one to itself.
 */
import { Buffer } from 'node:buffer';
import type avro from 'avsc';

const SLAB_BYTES = 1 << 20;

export class AvroSlabEncoder {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private pos = 0;

  constructor(private readonly type: avro.Type) {}

  encode(value: unknown): Buffer {
    let end = this.type.encode(value, this.slab, this.pos);
    if (end < 0) {
      // avsc says how many bytes were missing: start a slab that fits the value.
      const needed = this.slab.length - this.pos - end;
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, needed));
      this.pos = 0;
      end = this.type.encode(value, this.slab, 0);
    }
    const view = this.slab.subarray(this.pos, end);
    this.pos = end;
    return view;
  }
}

/**
 * The Avro object container file layout (Avro specification, "Object
 * Container Files"): magic `Obj\x01`, a header record with metadata (schema,
 * codec) and a 16-byte sync marker, then blocks of `count, size, data, sync`.
 * Shared by the writer and the reader; avsc encodes and decodes every part.
 */
import avro from 'avsc';

export type Codec = 'null' | 'deflate' | 'zstandard';
export type FileKind = 'segment' | 'snapshot';

/** Header metadata key saying what a file holds; readers refuse a file of another kind. */
export const FILE_KIND_KEY = 'rewind.kind';
export const FORMAT_KEY = 'rewind.format';
export const FORMAT_VERSION = '1';

export const MAGIC = Buffer.from('Obj\x01', 'latin1');
export const SYNC_BYTES = 16;

export interface ContainerHeader {
  magic: Buffer;
  meta: Record<string, Buffer>;
  sync: Buffer;
}

export const headerType = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: SYNC_BYTES } },
  ],
});

export const longType = avro.Type.forSchema('long');

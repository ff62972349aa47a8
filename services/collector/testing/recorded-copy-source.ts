/**
 * A copy source over recorded collection contents (a fixture's documents and
 * collection metadata, as BSON bytes). Pairs with RecordedChangeSource to
 * drive the collector's copy logic; the real reads (MongoCopySource) are
 * tested against the wire server.
 */
import type { Buffer } from 'node:buffer';
import type { CopyCollection, CopySource } from '../source-port.js';

export interface RecordedCollection extends CopyCollection {
  documents: Buffer[];
}

export class RecordedCopySource implements CopySource {
  copies = 0;
  constructor(private readonly collections: () => RecordedCollection[]) {}

  listCollections(): Promise<CopyCollection[]> {
    this.copies += 1;
    return Promise.resolve(this.collections().map(({ documents: _d, ...c }) => c));
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async *readDocuments(ns: string, options: { batchSize: number }): AsyncIterable<Buffer[]> {
    const c = this.collections().find((x) => x.ns === ns);
    const docs = c?.documents ?? [];
    for (let i = 0; i < docs.length; i += options.batchSize) yield docs.slice(i, i + options.batchSize);
  }
}

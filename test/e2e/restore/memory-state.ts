/**
 * A StateAtT built from documents in memory, for tests of restore's writers
 * that do not need an archive: the same port archive-state.ts implements.
 */
import { serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import { compareDocumentKeys, position } from '../../../contracts/index.js';
import type { CollectionMetadata, Position } from '../../../contracts/index.js';
import type { ArchiveRecord, StateAtT } from '../../../services/restore/state-source.js';

export function recordsOf(docs: readonly Document[]): ArchiveRecord[] {
  return docs
    .map((d) => ({ key: serialize({ _id: d._id as unknown }), document: serialize(d) }))
    .sort((a, b) => compareDocumentKeys(a.key, b.key));
}

export function memoryState(
  byNs: Record<string, readonly Document[]>,
  options: { at?: Position; metadata?: Record<string, CollectionMetadata>; captured?: string[] } = {},
): StateAtT {
  const namespaces = Object.keys(byNs).sort();
  return {
    position: options.at ?? position(1_700_000_000, 1, 0),
    namespaces,
    captured: options.captured ?? namespaces,
    namespace: (ns) => {
      const records = recordsOf(byNs[ns] ?? []);
      return {
        ns,
        metadata: options.metadata?.[ns] ?? null,
        count: records.length,
        records: async function* () {
          for (const r of records) yield await Promise.resolve(r);
        },
      };
    },
    close: () => Promise.resolve(),
  };
}

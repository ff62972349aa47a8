/**
 * Collection metadata (indexes, options, uuid) as DDL events change it. Kept
 * as canonical Extended JSON, the catalog's form (contracts/catalog.ts), so it
 * can be written to the catalog as is.
 */
import { EJSON, deserialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import type { CollectionMetadata } from '../../contracts/catalog.js';
import { EXACT_BSON } from '../../contracts/document-key.js';

export interface MetadataState {
  indexes: Record<string, unknown>[];
  options: Record<string, unknown>;
  uuid?: string;
}

/** The index every collection has from its creation. */
export const ID_INDEX: Record<string, unknown> = { v: { $numberInt: '2' }, key: { _id: { $numberInt: '1' } }, name: '_id_' };

export function implicitMetadata(uuid?: string): MetadataState {
  return uuid === undefined ? { indexes: [ID_INDEX], options: {} } : { indexes: [ID_INDEX], options: {}, uuid };
}

export function toCatalogMetadata(ns: string, m: MetadataState): CollectionMetadata {
  return m.uuid === undefined
    ? { ns, indexes: m.indexes, options: m.options }
    : { ns, indexes: m.indexes, options: m.options, uuid: m.uuid };
}

export function fromCatalogMetadata(m: CollectionMetadata): MetadataState {
  return m.uuid === undefined ? { indexes: m.indexes, options: m.options } : { indexes: m.indexes, options: m.options, uuid: m.uuid };
}

export function uuidString(bytes: Buffer | null): string | undefined {
  if (bytes === null || bytes.length !== 16) return undefined;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function canonical(value: unknown): Record<string, unknown> {
  return EJSON.serialize(value, { relaxed: false });
}

function description(ev: ChangeEvent): Document {
  return ev.operationDescription === null ? {} : deserialize(ev.operationDescription, EXACT_BSON);
}

function indexName(spec: Record<string, unknown>): unknown {
  return spec.name;
}

/**
 * The metadata after a collection-level DDL event (create, createIndexes,
 * dropIndexes, modify). Details come from operationDescription, which the
 * server sends with showExpandedEvents; without it the event tells us nothing
 * about indexes and the metadata is kept (the catalog's listIndexes copy stays).
 */
export function applyMetadataEvent(prior: MetadataState | undefined, ev: ChangeEvent): MetadataState {
  const uuid = uuidString(ev.collectionUUID) ?? prior?.uuid;
  const base: MetadataState = prior ?? implicitMetadata(uuid);
  const next: MetadataState = { indexes: [...base.indexes], options: { ...base.options } };
  if (uuid !== undefined) next.uuid = uuid;
  const desc = description(ev);
  switch (ev.op) {
    case 'create': {
      const { idIndex, ...options } = desc;
      next.options = canonical(options);
      next.indexes = idIndex === undefined ? [ID_INDEX] : [canonical(idIndex)];
      return next;
    }
    case 'createIndexes': {
      for (const spec of asList(desc.indexes)) {
        const c = canonical(spec);
        next.indexes = next.indexes.filter((i) => indexName(i) !== indexName(c));
        next.indexes.push(c);
      }
      return next;
    }
    case 'dropIndexes': {
      const names = new Set(asList(desc.indexes).map((s) => (s as Document).name as unknown));
      next.indexes = next.indexes.filter((i) => !names.has(indexName(i)));
      return next;
    }
    case 'modify': {
      const { index, ...rest } = desc;
      if (index !== undefined) {
        const change = canonical(index);
        next.indexes = next.indexes.map((i) => (indexName(i) === indexName(change) ? { ...i, ...change } : i));
      }
      for (const [k, v] of Object.entries(canonical(rest))) next.options[k] = v;
      return next;
    }
    default:
      return next;
  }
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}


/** A catalog reduced to what an operator asks first: the window, the snapshots, the segments, the gaps. */
// The contracts modules themselves, not their index: `rewind status` loads this, and the index brings avsc.
import { comparePositions, describePosition, parsePosition } from '../../contracts/position.js';
import type { Catalog, Gap } from '../../contracts/catalog.js';
import { restorableWindow } from './catalog-queries.js';

export interface PositionView {
  position: string;
  time: string;
  text: string;
}

export interface CatalogSummary {
  sourceId: string;
  generation: number;
  updatedAt: string;
  window: { earliest: PositionView; latest: PositionView } | null;
  durable: PositionView | null;
  snapshots: { id: string; name?: string; kind: string; position: PositionView; namespaces: number; documents: number; bytes: number }[];
  segments: { count: number; events: number; bytes: number; first: PositionView | null; last: PositionView | null };
  gaps: Gap[];
}

function view(text: string): PositionView {
  const p = parsePosition(text);
  return { position: text, time: new Date(p.seconds * 1000).toISOString(), text: describePosition(p) };
}

export function summarizeCatalog(catalog: Catalog): CatalogSummary {
  const w = restorableWindow(catalog);
  const fmt = (p: { seconds: number; increment: number; index: number }) => view(`${p.seconds}.${p.increment}.${p.index}`);
  const segs = [...catalog.segments].sort((a, b) => comparePositions(parsePosition(a.first), parsePosition(b.first)));
  const lastSeg = [...catalog.segments].sort((a, b) => comparePositions(parsePosition(a.last), parsePosition(b.last))).at(-1);
  return {
    sourceId: catalog.sourceId,
    generation: catalog.generation,
    updatedAt: catalog.updatedAt,
    window: w ? { earliest: fmt(w.earliest), latest: fmt(w.latest) } : null,
    durable: catalog.durable ? view(catalog.durable) : null,
    snapshots: [...catalog.snapshots]
      .sort((a, b) => comparePositions(parsePosition(a.position), parsePosition(b.position)))
      .map((s) => ({
        id: s.id,
        ...(s.name === undefined ? {} : { name: s.name }),
        kind: s.kind,
        position: view(s.position),
        namespaces: s.namespaces.length,
        documents: s.namespaces.reduce((n, ns) => n + ns.count, 0),
        bytes: s.namespaces.reduce((n, ns) => n + ns.files.reduce((m, f) => m + f.bytes, 0), 0),
      })),
    segments: {
      count: segs.length,
      events: segs.reduce((n, s) => n + s.count, 0),
      bytes: segs.reduce((n, s) => n + s.file.bytes, 0),
      first: segs[0] ? view(segs[0].first) : null,
      last: lastSeg ? view(lastSeg.last) : null,
    },
    gaps: catalog.gaps,
  };
}

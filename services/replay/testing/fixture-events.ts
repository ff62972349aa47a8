/**
 * Test support: a corpus fixture's raw events → normalized ChangeEvents, the
 * way the collector hands them on (split fragments reassembled, index counted
 * among the events sharing a clusterTime).
 */
import type { Document, Timestamp } from 'bson';
import type { ChangeEvent } from '../../../contracts/avro/change-event.js';
import { normalizeChangeEvent, reassembleSplitEvent } from '../../collector/normalize-event.js';
import type { FullDocumentMode } from '../../collector/normalize-event.js';

export function normalizeFixtureEvents(events: readonly Document[], mode: FullDocumentMode): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  let fragments: Document[] = [];
  let last: { s: number; i: number; n: number } | undefined;
  for (const raw of events) {
    let whole = raw;
    if (raw.splitEvent !== undefined) {
      fragments.push(raw);
      const split = raw.splitEvent as { fragment: unknown; of: unknown };
      if (Number(split.fragment) < Number(split.of)) continue;
      whole = reassembleSplitEvent(fragments);
      fragments = [];
    }
    const ct = whole.clusterTime as Timestamp;
    const s = ct.high >>> 0;
    const i = ct.low >>> 0;
    const n = last && last.s === s && last.i === i ? last.n + 1 : 0;
    last = { s, i, n };
    out.push(normalizeChangeEvent(whole, { index: n, fullDocumentMode: mode }));
  }
  return out;
}

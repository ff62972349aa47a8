/**
 * Test support: a corpus fixture's events (the bytes a server sends) →
 * normalized ChangeEvents, the way the collector hands them on: read by the
 * same raw reader, split fragments reassembled, index counted among the
 * events sharing a clusterTime.
 */
import type { ChangeEvent } from '../../../contracts/avro/change-event.js';
import { normalizeChangeEvent, readRawChangeEvent, reassembleSplitEvent } from '../../collector/normalize-event.js';
import type { FullDocumentMode } from '../../collector/normalize-event.js';
import type { RawChangeEvent } from '../../collector/raw-change-event.js';

export function normalizeFixtureEvents(events: readonly Uint8Array[], mode: FullDocumentMode): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  let fragments: RawChangeEvent[] = [];
  let last: { s: number; i: number; n: number } | undefined;
  for (const bytes of events) {
    let whole = readRawChangeEvent(bytes);
    const split = whole.splitEvent();
    if (split !== undefined) {
      fragments.push(whole);
      if ((split.fragment ?? 0) < (split.of ?? 0)) continue;
      whole = reassembleSplitEvent(fragments);
      fragments = [];
    }
    const ct = whole.timestamp('clusterTime');
    const s = ct?.seconds ?? 0;
    const i = ct?.increment ?? 0;
    const n = last && last.s === s && last.i === i ? last.n + 1 : 0;
    last = { s, i, n };
    out.push(normalizeChangeEvent(whole, { index: n, fullDocumentMode: mode }));
  }
  return out;
}

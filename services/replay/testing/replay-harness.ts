/**
 * Test support: run the engine's replays and compactions over histories and
 * reduce their results to the same canonical text as the model's states.
 */
import type { ChangeEvent } from '../../../contracts/avro/change-event.js';
import type { SnapshotRecord } from '../../../contracts/avro/snapshot-record.js';
import type { CollectionMetadata } from '../../../contracts/catalog.js';
import type { Position } from '../../../contracts/position.js';
import type { BaseSnapshot } from '../base-snapshot.js';
import { compact } from '../compact.js';
import { ReplayState } from '../replay-state.js';
import type { RunStore } from '../run-store.js';
import { dumpState } from './history-model.js';

export interface MaterializedSnapshot {
  position: Position | null;
  namespaces: { ns: string; metadata: CollectionMetadata; records: SnapshotRecord[] }[];
}

const indexNames = (m: CollectionMetadata | undefined) => (m?.indexes ?? []).map((i) => String(i.name));

export function dumpReplay(state: ReplayState): string {
  return dumpState(state.namespaceNames().map((ns) => ({ ns, indexes: indexNames(state.metadata(ns)), records: state.records(ns) })));
}

export function dumpSnapshot(s: MaterializedSnapshot): string {
  return dumpState(s.namespaces.map((n) => ({ ns: n.ns, indexes: indexNames(n.metadata), records: n.records })));
}

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  for (const i of items) yield await Promise.resolve(i);
}

export function asBase(s: MaterializedSnapshot): BaseSnapshot {
  return { position: s.position, namespaces: s.namespaces.map((n) => ({ ns: n.ns, metadata: n.metadata, records: iterate(n.records) })) };
}

export async function replay(events: Iterable<ChangeEvent>, upTo?: Position, base?: MaterializedSnapshot): Promise<ReplayState> {
  const state = base ? await ReplayState.fromBase(asBase(base)) : new ReplayState();
  await state.applyAll(events, upTo);
  return state;
}

export async function compactTo(
  base: MaterializedSnapshot,
  events: Iterable<ChangeEvent>,
  upTo: Position,
  runStore: RunStore,
  memoryBytes: number,
): Promise<MaterializedSnapshot & { runsWritten: number }> {
  const result = await compact({ base: asBase(base), events: iterate([...events]), upTo, runStore, memoryBytes });
  const namespaces = [];
  for (const n of result.namespaces) {
    const records: SnapshotRecord[] = [];
    for await (const r of n.records) records.push(r);
    namespaces.push({ ns: n.ns, metadata: n.metadata, records });
  }
  await result.dispose();
  return { position: result.position, namespaces, runsWritten: result.stats.runsWritten };
}

export const EMPTY: MaterializedSnapshot = { position: null, namespaces: [] };

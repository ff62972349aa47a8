/**
 * From what a person asked for (`--to`, `--to-position`, `--before-event`, or
 * the latest state) to the replay planner's plan (services/replay
 * plan-restore.ts): the exact position, the snapshot to start from and the
 * segments to fold, or a refusal naming the window or the gap.
 *
 * Two things are added here. "Before event X" needs X's position, found by
 * reading the segments. And the durable position is taken to cover its whole
 * clusterTime group: replay never splits a group (compaction folds through the
 * group's end), so the state "at the durable position" already is the state
 * after its group, and a target naming that group — `--to-position` of the
 * latest event, or a diff report made at the latest state — is restorable.
 */
import { formatPosition } from '../../contracts/index.js';
import type { Catalog } from '../../contracts/index.js';
import { readSegment } from '../archive/index.js';
import type { BlobStore } from '../archive/index.js';
import { findEventPosition, planRestore, restorableWindow, segmentsToSearch } from '../replay/plan-restore.js';
import type { RestorePlan } from '../replay/plan-restore.js';
import { throughTransaction } from '../replay/transaction-boundary.js';
import { parsePosition } from '../../contracts/index.js';
import { RestoreError } from './errors.js';

export type RestoreTarget =
  | { kind: 'latest' }
  | { kind: 'time'; iso: string }
  | { kind: 'position'; position: string }
  | { kind: 'before-event'; eventId: string }
  | { kind: 'snapshot'; name: string };

async function* allEvents(store: BlobStore, catalog: Catalog) {
  for (const segment of segmentsToSearch(catalog)) yield* readSegment(store, segment);
}

export async function planTarget(store: BlobStore, catalog: Catalog, target: RestoreTarget): Promise<RestorePlan> {
  const window = restorableWindow(catalog);
  if (!window) throw new RestoreError('OUTSIDE_WINDOW', 'the archive holds no snapshot yet: nothing can be restored');
  const groupWhole: Catalog = { ...catalog, durable: formatPosition(throughTransaction(window.latest)) };
  switch (target.kind) {
    case 'latest':
      return planRestore(groupWhole, { kind: 'position', position: window.latest });
    case 'time':
      return planRestore(groupWhole, { kind: 'time', iso: target.iso });
    case 'position':
      return planRestore(groupWhole, { kind: 'position', position: parsePosition(target.position) });
    case 'snapshot': {
      // A named snapshot (rewind backup --name) or a snapshot id: the state at its position, which the
      // planner starts from that snapshot (or one at the same position) with nothing to fold.
      const snap = catalog.snapshots.find((s) => s.name === target.name) ?? catalog.snapshots.find((s) => s.id === target.name);
      if (!snap) {
        const names = catalog.snapshots.flatMap((s) => (s.name ? [s.name] : []));
        throw new RestoreError('UNKNOWN_SNAPSHOT', `no snapshot named ${JSON.stringify(target.name)} in the archive (named: ${names.length ? names.join(', ') : 'none'}; \`rewind catalog\` lists every snapshot's name and id)`, {
          context: { name: target.name },
        });
      }
      return planRestore(groupWhole, { kind: 'position', position: parsePosition(snap.position) });
    }
    case 'before-event': {
      const at = await findEventPosition(allEvents(store, catalog), target.eventId);
      if (!at) {
        throw new RestoreError('UNKNOWN_EVENT', `no event with id ${JSON.stringify(target.eventId)} in the archive (ids are the resume tokens' _data, as \`rewind history\` shows them)`, {
          context: { eventId: target.eventId },
        });
      }
      return planRestore(groupWhole, { kind: 'beforeEvent', id: target.eventId, position: at });
    }
  }
}

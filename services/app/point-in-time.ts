/** From the typed point in time of a request to the restore room's target. */
import { formatPosition } from '../../contracts/position.js';
import type { PointInTime } from '../../contracts/point-in-time.js';
import type { RestoreTarget } from '../restore/target-plan.js';

export function restoreTargetOf(at: PointInTime): RestoreTarget {
  switch (at.kind) {
    case 'latest':
      return { kind: 'latest' };
    case 'time':
      return { kind: 'time', iso: at.iso };
    case 'position':
      return { kind: 'position', position: formatPosition(at.position) };
    case 'before-event':
      return { kind: 'before-event', eventId: at.eventId };
    case 'snapshot':
      return { kind: 'snapshot', name: at.name };
  }
}

/**
 * A point in time as every job takes it (restore, diff, history, and the
 * API's bodies): the latest restorable state, an ISO time (every event of
 * that second included), an exact position (after its whole transaction), or
 * just before one event (undo a bad deleteMany or drop). The zod schema is
 * what the HTTP API validates a body's `at` with; the CLI builds the same
 * value from `--at`, `--at-position` and `--before-event`.
 */
import { z } from 'zod';
import { PositionFormatError, formatPosition, parsePosition, positionAtIsoTime } from './position.js';
import type { Position } from './position.js';

export type PointInTime =
  | { kind: 'latest' }
  | { kind: 'time'; iso: string }
  | { kind: 'position'; position: Position }
  | { kind: 'before-event'; eventId: string }
  /** A named snapshot (`rewind backup --name`) or a snapshot id: the state at its position. */
  | { kind: 'snapshot'; name: string };

const parsed = <T>(parse: (text: string) => T) =>
  z.string().transform((text, ctx): T => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof PositionFormatError ? err.message : String(err) });
      return z.NEVER;
    }
  });

export const pointInTimeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('latest') }),
  z.strictObject({
    kind: z.literal('time'),
    iso: parsed((text) => {
      positionAtIsoTime(text);
      return text.trim();
    }),
  }),
  z.strictObject({ kind: z.literal('position'), position: parsed(parsePosition) }),
  z.strictObject({ kind: z.literal('before-event'), eventId: z.string().trim().min(1, 'an event id') }),
  z.strictObject({ kind: z.literal('snapshot'), name: z.string().trim().min(1, 'a snapshot name') }),
]);

/** The point as text for people and job parameters: `latest`, the ISO time, `s.i.n`, or `before <id>`. */
export function describePointInTime(at: PointInTime): string {
  switch (at.kind) {
    case 'latest':
      return 'latest';
    case 'time':
      return at.iso;
    case 'position':
      return formatPosition(at.position);
    case 'before-event':
      return `before ${at.eventId}`;
    case 'snapshot':
      return `snapshot ${at.name}`;
  }
}

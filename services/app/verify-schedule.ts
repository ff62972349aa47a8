/**
 * Scheduled verification inside the long-running processes (`rewind up`,
 * `rewind archive`): every `everyMs`, re-hash a sample of the archive's files
 * (continuing where the last sample stopped) or all of them, through the same
 * job as `rewind verify` (verify.ts), so the result is recorded in the
 * archive, shown by `rewind status` and read by the metrics (lastVerify()).
 * It also adds to the catalog the damage gaps a `rewind verify` run could not
 * add while this process held the catalog (checked every `foldEveryMs`).
 * Started beside the archiver by the capture wiring, never inside it: it
 * shares only the opened archive (its catalog writer).
 */
import type { ScheduledVerifyConfig, VerifyRecord } from '../../contracts/verify-record.js';
import type { OpenedArchive } from '../archive/archive-access.js';
import { readVerifyRecord } from '../archive/verify-record.js';
import { foldPendingGaps, runVerify } from './verify.js';
import type { VerifyResult } from './verify.js';

export interface VerifyScheduleLog {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
}

export interface VerifyScheduleOptions {
  archive: OpenedArchive;
  config: ScheduledVerifyConfig;
  log: VerifyScheduleLog;
  /** How often pending damage gaps are looked for (default 30 s); tests make it short. */
  foldEveryMs?: number;
}

export interface VerifySchedule {
  /** The last recorded verification (this process's or anyone's), or null: what /metrics reads. */
  lastVerify(): Promise<VerifyRecord | null>;
  /** Results of this process's scheduled runs so far. */
  readonly runs: number;
  /** Stops the timers and waits for a run in progress to stop (between two files). */
  stop(): Promise<void>;
}

/** Starts the schedule (with everyMs null, only the folding of pending gaps runs). */
export function startVerifySchedule(options: VerifyScheduleOptions): VerifySchedule {
  const { archive, config, log } = options;
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  let runs = 0;
  let busy = false;

  const once = (what: () => Promise<unknown>) => {
    if (busy || controller.signal.aborted) return;
    busy = true;
    running = what()
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        const e = err as { code?: unknown; message?: unknown };
        log.warn({ code: e.code, err: String(e.message ?? err) }, 'scheduled verification: could not run (the next run tries again)');
      })
      .finally(() => {
        busy = false;
      });
  };

  const verify = async () => {
    const result: VerifyResult = await runVerify({
      archive: { opened: archive },
      scope: config.sampleFiles === null ? { kind: 'all' } : { kind: 'sample', files: config.sampleFiles },
      by: 'schedule',
      signal: controller.signal,
    });
    runs++;
    const r = result.record;
    const summary = { filesChecked: r.filesChecked, catalogFiles: r.catalogFiles, bad: r.problems.length, gapsAdded: result.gapsAdded.length };
    if (r.problems.length > 0) log.error({ ...summary, problems: r.problems }, 'scheduled verification found bad files');
    else log.info(summary, 'scheduled verification: every file checked is sound');
  };

  const fold = async () => {
    const added = await foldPendingGaps(archive);
    if (added.length > 0) log.error({ gaps: added }, 'damage found by rewind verify recorded as gaps in the catalog');
  };

  const timers: NodeJS.Timeout[] = [];
  if (config.everyMs !== null) timers.push(setInterval(() => once(verify), config.everyMs));
  timers.push(setInterval(() => once(fold), options.foldEveryMs ?? 30_000));
  for (const t of timers) t.unref();
  once(fold);

  return {
    async lastVerify() {
      return (await readVerifyRecord(archive.store)).record;
    },
    get runs() {
      return runs;
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      controller.abort();
      await running.catch(() => undefined);
    },
  };
}

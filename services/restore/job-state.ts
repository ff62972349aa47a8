/**
 * A restore job's progress, durable after every batch, so that a job killed
 * at any moment resumes where it stopped and ends with the same result.
 *
 * One JSON file per job id in a folder outside the archive (the archive is
 * never modified by a restore). Each namespace records the last document key
 * whose batch is acknowledged by the target; a resumed run skips keys at or
 * before it. Re-writing the batch that was in flight when the job died is
 * harmless: writes are upserts and deletes by key.
 *
 * The file also records a hash of the job's parameters: resuming with a
 * different target, scope or mode is refused instead of mixing two restores.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { RestoreError } from './errors.js';

const countsSchema = z.object({
  inserted: z.number().int().nonnegative(),
  replaced: z.number().int().nonnegative(),
  deleted: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  kept: z.number().int().nonnegative(),
});
export type ActionCounts = z.infer<typeof countsSchema>;

export function zeroCounts(): ActionCounts {
  return { inserted: 0, replaced: 0, deleted: 0, unchanged: 0, kept: 0 };
}

const namespaceProgressSchema = z.object({
  target: z.string(),
  /** Canonical Extended JSON of the last key made durable, absent before the first batch. */
  lastKey: z.unknown().optional(),
  prepared: z.boolean(),
  done: z.boolean(),
  counts: countsSchema,
});
export type NamespaceProgress = z.infer<typeof namespaceProgressSchema>;

const jobStateSchema = z.object({
  version: z.literal(1),
  jobId: z.string(),
  paramsHash: z.string(),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.enum(['running', 'completed']),
  namespaces: z.record(z.string(), namespaceProgressSchema),
});
export type JobState = z.infer<typeof jobStateSchema>;

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkJobId(jobId: string): string {
  if (!JOB_ID.test(jobId)) throw new RestoreError('BAD_OPTIONS', `job id ${JSON.stringify(jobId)} must be 1-128 letters, digits, '.', '_' or '-'`);
  return jobId;
}

export function hashParams(params: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(params)).digest('hex');
}

/** Writes, fsyncs and renames, then fsyncs the folder: the state survives a crash or a SIGKILL. */
async function writeDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(join(path, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export class JobStateFile {
  private chain: Promise<void> = Promise.resolve();
  private folderMade = false;

  private constructor(
    readonly path: string,
    readonly state: JobState,
    readonly resumed: boolean,
  ) {}

  /**
   * Opens the job's state: a new one, or the existing one when its parameters
   * match (a resume). A completed job stays completed. A new state is only in
   * memory until the first save() (which creates the folder): a job refused
   * after opening its state leaves no file behind.
   */
  static async open(dir: string, jobId: string, params: Record<string, unknown>): Promise<JobStateFile> {
    checkJobId(jobId);
    const path = join(dir, `${jobId}.json`);
    const paramsHash = hashParams(params);
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new RestoreError('JOB_STATE_IO', `cannot read the job state ${path}`, { cause });
    }
    if (text !== null) {
      let state: JobState;
      try {
        state = jobStateSchema.parse(JSON.parse(text));
      } catch (cause) {
        throw new RestoreError('JOB_STATE_IO', `the job state ${path} is not a valid job state file`, { cause });
      }
      if (state.paramsHash !== paramsHash) {
        throw new RestoreError('JOB_MISMATCH', `job ${jobId} exists (${path}) with different parameters; use another --job id or the same options`, {
          context: { recorded: state.params, given: params },
        });
      }
      return new JobStateFile(path, state, true);
    }
    const now = new Date().toISOString();
    return new JobStateFile(path, { version: 1, jobId, paramsHash, params, createdAt: now, updatedAt: now, status: 'running', namespaces: {} }, false);
  }

  namespace(ns: string, target: string): NamespaceProgress {
    const existing = this.state.namespaces[ns];
    if (existing) return existing;
    const fresh: NamespaceProgress = { target, prepared: false, done: false, counts: zeroCounts() };
    this.state.namespaces[ns] = fresh;
    return fresh;
  }

  /** Persists the current state; saves are serialized so parallel namespaces never interleave writes. */
  save(): Promise<void> {
    const next = this.chain.then(async () => {
      this.state.updatedAt = new Date().toISOString();
      if (!this.folderMade) {
        try {
          await mkdir(dirname(this.path), { recursive: true });
        } catch (cause) {
          throw new RestoreError('JOB_STATE_IO', `cannot create the job state folder ${dirname(this.path)}`, { cause });
        }
        this.folderMade = true;
      }
      try {
        await writeDurably(this.path, `${JSON.stringify(this.state, null, 2)}\n`);
      } catch (cause) {
        throw new RestoreError('JOB_STATE_IO', `cannot write the job state ${this.path}`, { cause });
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

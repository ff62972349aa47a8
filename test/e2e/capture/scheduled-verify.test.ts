// Scheduled verification inside `rewind up`: with verify.everyMs set, the
// running process re-hashes samples of its own archive on that interval and
// records each run in verify.json, which `rewind status` then shows.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { loadUpConfig } from '../../../contracts/runtime-config.js';
import { DEFAULT_STATUS_THRESHOLDS } from '../../../contracts/status-thresholds.js';
import { readStatus } from '../../../services/app/status.js';
import { runUp } from '../../../services/app/index.js';
import { RecordedChangeSource } from '../../../services/collector/testing/recorded-change-source.js';
import { RecordedCopySource } from '../../../services/collector/testing/recorded-copy-source.js';
import { syntheticStream } from '../../../services/collector/testing/synthetic-stream.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

it('rewind up verifies its archive on the configured interval, a sample at a time, and status shows the run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-scheduled-verify-'));
  dirs.push(dir);
  const events = syntheticStream({ events: 600, perSecond: 300, startSeconds: Math.floor(Date.now() / 1000) - 5 });
  const t0 = Date.now() + 500;
  const source = new RecordedChangeSource(events, { batchSize: 100, availableAtMs: (i) => t0 + i });
  const config = loadUpConfig({ env: { REWIND_VERIFY_EVERY: '300ms', REWIND_VERIFY_SAMPLE: '2' }, overrides: { mongo: { uri: 'mongodb://recorded' }, archive: { dir, segmentMaxAgeMs: 100 } } });
  expect(config.verify).toEqual({ everyMs: 300, sampleFiles: 2 });
  const controller = new AbortController();
  const running = runUp({ config, source, copySource: new RecordedCopySource(() => []), log: silent, signal: controller.signal });
  try {
    const deadline = Date.now() + 20_000;
    let status = await readStatus({ archive: dir, thresholds: DEFAULT_STATUS_THRESHOLDS }).catch(() => null);
    // Until a scheduled run has checked files of a catalog that holds some.
    while (!(status?.lastVerify && status.lastVerify.filesChecked > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await readStatus({ archive: dir, thresholds: DEFAULT_STATUS_THRESHOLDS }).catch(() => null);
    }
    expect(status?.lastVerify).toMatchObject({ by: 'schedule', scope: 'sample', problems: [], damaged: 0 });
    expect(status?.lastVerify?.filesChecked).toBeLessThanOrEqual(2);
    expect(status?.lastVerify?.filesChecked).toBe(Math.min(2, status?.lastVerify?.catalogFiles ?? 0));
  } finally {
    controller.abort();
    await running;
  }
});

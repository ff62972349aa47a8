import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogStore, FsBlobStore, SegmentWriter } from './index.js';
import { bsonBytes, makeEvent, tempDir } from './testing/samples.js';

const MB = 1024 * 1024;
const SEGMENTS = 5;
const SEGMENT_BYTES = 30 * MB;
const PAYLOAD_BYTES = 4096;
const RSS_LIMIT = 300 * MB;

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('rewind-memory-'));
  const store = new FsBlobStore(dir);
  const catalog = new CatalogStore(dir);
  await catalog.init('memory-test');
  // Payloads are slices of a small random pool: deflate shrinks them about 4:1, so the
  // documents read are several times the bytes on disk, and both far above the memory used.
  const pool = randomBytes(PAYLOAD_BYTES * 64);
  let n = 0;
  for (let s = 0; s < SEGMENTS; s++) {
    const writer = new SegmentWriter(store);
    while (writer.bytesWritten < SEGMENT_BYTES) {
      n++;
      const offset = (n * 977) % (pool.length - PAYLOAD_BYTES);
      await writer.append(makeEvent(n, { document: bsonBytes({ _id: n, blob: pool.subarray(offset, offset + PAYLOAD_BYTES) }) }));
    }
    const entry = await writer.finish();
    await catalog.update((c) => {
      c.segments.push(entry);
    });
  }
}, 120_000);
afterAll(async () => cleanup());

describe('memory: reading streams', () => {
  it('reads a ~150 MB segment set with peak RSS under 300 MB, the data several times the memory it used', async () => {
    const child = fileURLToPath(new URL('./testing/read-segments-rss.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, dir], { maxBuffer: MB });
    const r = JSON.parse(stdout) as { events: number; payloadBytes: number; fileBytes: number; baselineRssBytes: number; peakRssBytes: number };
    const growth = r.peakRssBytes - r.baselineRssBytes;
    console.log(
      `read ${r.events} events, ${(r.fileBytes / MB).toFixed(0)} MB of files, ${(r.payloadBytes / MB).toFixed(0)} MB of documents; ` +
        `peak RSS ${(r.peakRssBytes / MB).toFixed(0)} MB (${(growth / MB).toFixed(0)} MB above the start)`,
    );
    expect(r.fileBytes).toBeGreaterThan(140 * MB);
    expect(r.payloadBytes).toBeGreaterThan(140 * MB);
    expect(r.peakRssBytes).toBeLessThan(RSS_LIMIT);
    // Holding all the documents (let alone the files beside them) would need several times what the read used.
    expect(r.payloadBytes).toBeGreaterThan(3 * growth);
  }, 60_000);
});

/**
 * Child process of the memory test: reads every segment of an archive's
 * catalog through readSegment and prints what it read and its peak resident
 * memory as JSON. Run alone so that nothing else inflates the figure.
 * Usage: node --import tsx read-segments-rss.ts <archive-dir>
 */
import { CatalogStore } from '../catalog-store.js';
import { FsBlobStore } from '../fs-blob-store.js';
import { readSegment } from '../segment-reader.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: read-segments-rss.ts <archive-dir>');
const catalog = await new CatalogStore(dir).read();
const store = new FsBlobStore(dir);
const baselineRssBytes = process.memoryUsage.rss();
let events = 0;
let payloadBytes = 0;
for (const segment of catalog.segments) {
  for await (const e of readSegment(store, segment)) {
    events++;
    payloadBytes += e.fullDocument?.length ?? 0;
  }
}
// maxRSS is the kernel's peak for the whole process life, in kilobytes.
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
const fileBytes = catalog.segments.reduce((n, s) => n + s.file.bytes, 0);
process.stdout.write(`${JSON.stringify({ events, payloadBytes, fileBytes, baselineRssBytes, peakRssBytes })}\n`);

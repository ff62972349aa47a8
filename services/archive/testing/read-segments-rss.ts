/**
 * Child process of the memory test: reads every segment of an archive's
 * catalog through readSegment and prints what it read and its peak resident
 * memory as JSON. Run alone so that nothing else inflates the figure.
 * Usage: node --import tsx read-segments-rss.ts <archive-dir>
 */
import { readFileSync } from 'node:fs';
import { CatalogStore } from '../catalog-store.js';
import { FsBlobStore } from '../fs-blob-store.js';
import { readSegment } from '../segment-reader.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: read-segments-rss.ts <archive-dir>');
const catalog = await new CatalogStore(dir).read();
const store = new FsBlobStore(dir);
/**
 * Peak resident memory of this process image. Not getrusage's maxRSS: after
 * fork + exec, Linux folds the parent's resident size at fork time into it, so
 * a large parent would inflate our figure. VmHWM counts our own image only;
 * elsewhere we sample.
 */
let sampledPeak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
}, 10);
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return Math.max(sampledPeak, process.memoryUsage.rss());
}
const baselineRssBytes = process.memoryUsage.rss();
let events = 0;
let payloadBytes = 0;
for (const segment of catalog.segments) {
  for await (const e of readSegment(store, segment)) {
    events++;
    payloadBytes += e.fullDocument?.length ?? 0;
  }
}
clearInterval(sampler);
const peakRssBytes = peakRss();
const fileBytes = catalog.segments.reduce((n, s) => n + s.file.bytes, 0);
process.stdout.write(`${JSON.stringify({ events, payloadBytes, fileBytes, baselineRssBytes, peakRssBytes })}\n`);

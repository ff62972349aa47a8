import { changeEventType } from '../../contracts/index.js';
import { makeEvents } from '../../bench/archive.js';
import { FsBlobStore, SegmentWriter, ContainerWriter } from './index.js';
import { tempDir } from './testing/samples.js';
const { dir } = await tempDir();
const store = new FsBlobStore(dir);
const events = makeEvents(50000);
const time = async (name: string, fn: () => Promise<void> | void) => { const t = process.hrtime.bigint(); await fn(); const s = Number(process.hrtime.bigint() - t) / 1e9; console.log(name.padEnd(28), Math.round(events.length / s)); };
for (let r = 0; r < 3; r++) {
  await time('toBuffer', () => { for (const e of events) changeEventType.toBuffer(e); });
  await time('segment deflate', async () => { const w = new SegmentWriter(store); for (const e of events) await w.append(e); await w.finish(); });
  await time('segment null', async () => { const w = new SegmentWriter(store, { codec: 'null' }); for (const e of events) await w.append(e); await w.finish(); });
  await time('container null', async () => { const w = new ContainerWriter(store, 'x/y.avro', changeEventType, 'segment', { codec: 'null' }); for (const e of events) await w.write(e); await w.finish(); });
}

/**
 * `rewind history` across DDL: a document's versions end with the rename or
 * drop that took it away, and an update whose prior state the archive does
 * not hold is reported as unknown, never invented. Pure archive work: no server.
 */
import { Int32 } from '../../../contracts/bson.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { position } from '../../../contracts/index.js';
import { documentHistory } from '../../../services/restore/history.js';
import { keyFromValue } from '../../../services/restore/document-keys.js';
import { RawEvents } from './raw-events.js';
import { TestArchive } from './test-archive.js';

describe('document history across rename and drop', () => {
  let archive: TestArchive;
  beforeAll(async () => {
    archive = await TestArchive.create();
    await archive.initialSnapshot(position(1_767_500_000, 0, 0), new Map([['shop.a', [{ _id: new Int32(1), v: new Int32(1) }]], ['shop.c', [{ _id: 'x', v: 'c' }]]]));
    const raw = new RawEvents(1_767_500_001, 'shop');
    archive.add(raw.one(raw.set('a', new Int32(1), { v: new Int32(2) })));
    archive.add(raw.one(raw.rename('a', 'b')));
    archive.add(raw.one(raw.set('c', 'x', { v: 'c2' })));
    archive.add(raw.one(raw.drop('c')));
    archive.add(raw.one(raw.set('c', 'ghost', { v: 'never seen before' })));
    await archive.flush();
  });
  afterAll(async () => {
    await archive.remove();
  });

  it('ends a renamed collection’s document with the rename, naming the new namespace', async () => {
    const h = await documentHistory({ store: archive.store, catalog: await archive.catalog(), ns: 'shop.a', key: keyFromValue(new Int32(1)) });
    expect(h.versions.map((v) => [v.operation, v.exists])).toEqual([['snapshot', true], ['update', true], ['rename', false]]);
    expect(h.versions[1]?.document?.toJSON()).toEqual({ _id: { $numberInt: '1' }, v: { $numberInt: '2' } });
    expect(h.versions[2]?.renamedTo).toBe('shop.b');
  });

  it('ends with the drop, and reports an update of an unknown document as unknown', async () => {
    const catalog = await archive.catalog();
    const dropped = await documentHistory({ store: archive.store, catalog, ns: 'shop.c', key: keyFromValue('x') });
    expect(dropped.versions.map((v) => [v.operation, v.exists])).toEqual([['snapshot', true], ['update', true], ['drop', false]]);
    const ghost = await documentHistory({ store: archive.store, catalog, ns: 'shop.c', key: keyFromValue('ghost') });
    expect(ghost.versions.map((v) => v.operation)).toEqual(['snapshot', 'update']);
    expect(ghost.versions[1]?.unknown).toMatch(/prior state is unknown/);
    await expect(documentHistory({ store: archive.store, catalog, ns: 'shop.nope', key: keyFromValue(1) })).rejects.toMatchObject({ code: 'UNKNOWN_NAMESPACE' });
  });
});

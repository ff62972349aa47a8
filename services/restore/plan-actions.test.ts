import { Int32, serialize } from '../../contracts/bson.js';
import { describe, expect, it } from 'vitest';
import { KeySet, keyToText } from './document-keys.js';
import { parseFilter } from './filter.js';
import { planActions } from './plan-actions.js';
import type { Action, DocumentScope, RestoreMode } from './plan-actions.js';

const doc = (id: number, v: string) => serialize({ _id: new Int32(id), v });
const key = (id: number) => serialize({ _id: new Int32(id) });
async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const i of items) yield await Promise.resolve(i);
}
const archive = [doc(1, 'a'), doc(2, 'b'), doc(4, 'd'), doc(5, 'e')].map((d, i) => ({ key: key([1, 2, 4, 5][i] as number), document: d }));
const target = [doc(2, 'b'), doc(3, 'x'), doc(4, 'CHANGED'), doc(6, 'y')];

async function run(mode: RestoreMode, scope: DocumentScope = {}, after?: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  const actions = planActions({ mode, archive: from(archive), target: mode === 'into-empty' ? null : from(target), scope, ...(after ? { after } : {}) });
  for await (const a of actions as AsyncIterable<Action>) out.push(`${a.kind}:${keyToText(a.key)}`);
  return out;
}
const ids = (s: string[]) => s.map((x) => x.replace(/\{"\$numberInt":"(\d+)"\}/, '$1'));

describe('planActions: merging the state at T with the target', () => {
  it('into-empty inserts everything in scope and does not read the target', async () => {
    expect(ids(await run('into-empty'))).toEqual(['insert:1', 'insert:2', 'insert:4', 'insert:5']);
  });

  it('overwrite inserts, replaces, deletes and leaves identical bytes alone', async () => {
    expect(ids(await run('overwrite'))).toEqual(['insert:1', 'unchanged:2', 'delete:3', 'replace:4', 'insert:5', 'delete:6']);
  });

  it('missing-only never replaces or deletes', async () => {
    expect(ids(await run('missing-only'))).toEqual(['insert:1', 'unchanged:2', 'kept:4', 'insert:5']);
  });

  it('restricts to keys and filters; deletes only target documents in scope', async () => {
    expect(ids(await run('overwrite', { keys: new KeySet([key(3), key(4), key(5)]) }))).toEqual(['delete:3', 'replace:4', 'insert:5']);
    expect(ids(await run('overwrite', { predicate: parseFilter('{"v": {"$in": ["a", "y"]}}') }))).toEqual(['insert:1', 'delete:6']);
  });

  it('resumes after the last durable key', async () => {
    expect(ids(await run('overwrite', {}, key(3)))).toEqual(['replace:4', 'insert:5', 'delete:6']);
  });
});

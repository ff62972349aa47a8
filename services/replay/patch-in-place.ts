/**
 * The common update — a few fields of a document set to new values of the
 * same type and size — leaves every other byte where it was. Such an update
 * can overwrite the values inside the stored document instead of writing a
 * whole new version. planInPlace only says whether that is exactly what
 * writeUpdated would produce; anything else (a new, removed, moved or resized
 * field, an array path, a malformed document) is left to writeUpdated, which
 * also words every error.
 */
import { BSON_TYPE, int32At, valueSize } from './bson-bytes.js';
import type { PathNode } from './update-paths.js';
import { sameBytes } from './update-paths.js';

/** The planned overwrites: value offset in the document's buffer, and the node whose value goes there. */
let patchAt = new Int32Array(16);
const patchNode: PathNode[] = [];
let patches = 0;

function plan(buf: Uint8Array, start: number, node: PathNode): boolean {
  if (node.truncate >= 0 || start + 5 > buf.length) return false;
  const size = int32At(buf, start);
  const stop = start + size - 1;
  if (size < 5 || stop >= buf.length || buf[stop] !== 0) return false;
  const children = node.children;
  const count = node.childCount;
  for (let i = 0; i < count; i++) (children[i] as PathNode).seen = false;
  let matched = 0;
  for (let at = start + 4; at < stop && matched < count; ) {
    const type = buf[at] as number;
    let nul = at + 1;
    while (nul < stop && buf[nul] !== 0) nul++;
    if (nul >= stop) return false;
    const valueStart = nul + 1;
    const end = valueStart + valueSize(buf, type, valueStart);
    if (end > stop) return false;
    const nameLength = nul - at - 1;
    for (let i = 0; i < count; i++) {
      const c = children[i] as PathNode;
      if (c.seen || c.nameLength !== nameLength || !sameBytes(c.name, c.nameStart, buf, at + 1, nameLength)) continue;
      if (c.kind === 'index' || c.remove) return false;
      if (c.setType >= 0) {
        const length = c.setEnd - c.setStart;
        // An unchanged value is a move to the end of the document (see apply-update's isMove).
        if (c.setType !== type || length !== end - valueStart || sameBytes(c.setBuf, c.setStart, buf, valueStart, length)) return false;
        if (patches === patchAt.length) {
          const more = new Int32Array(patches * 2);
          more.set(patchAt);
          patchAt = more;
        }
        patchAt[patches] = valueStart;
        patchNode[patches] = c;
        patches++;
      } else if (type !== BSON_TYPE.document || !plan(buf, valueStart, c)) {
        return false;
      }
      c.seen = true;
      matched++;
      break;
    }
    at = end;
  }
  return matched === count;
}

/**
 * Applies the compiled update to the document at `buf[start..]` in place and
 * returns true, or changes nothing and returns false when the update is not a
 * same-size overwrite of existing fields.
 */
export function patchInPlace(buf: Uint8Array, start: number, root: PathNode): boolean {
  // Removals, truncations and array paths never qualify: do not read the document to find that out.
  if (!root.onlySetsFields) return false;
  patches = 0;
  let ok: boolean;
  try {
    ok = plan(buf, start, root);
  } catch {
    // valueSize refuses an unknown type: writeUpdated reports it.
    ok = false;
  }
  if (ok) {
    for (let p = 0; p < patches; p++) {
      const c = patchNode[p] as PathNode;
      const at = patchAt[p] as number;
      for (let i = c.setStart; i < c.setEnd; i++) buf[at + i - c.setStart] = c.setBuf[i] as number;
    }
  }
  patches = 0;
  return ok;
}

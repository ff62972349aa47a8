/**
 * Fast comparison of `{ _id }` key documents in MongoDB's BSON order. Sorting
 * millions of keys with contracts' compareDocumentKeys (which deserializes both
 * sides) would dominate compaction; the common _id types (ObjectId, Int32,
 * Int64, string) compare here straight from the bytes, everything else falls
 * back to the contract's comparator, which stays the definition.
 */
import { compareDocumentKeys } from '../../contracts/document-key.js';

const ID_VALUE = 9; // int32 length, type byte, "_id\0"

function singleIdType(k: Buffer): number {
  // { _id: v } with _id the only field: length 4 + type 1 + "_id\0" 4 + value + 0.
  if (k[5] !== 0x5f || k[6] !== 0x69 || k[7] !== 0x64 || k[8] !== 0) return -1;
  return k[4] as number;
}

export function compareKeys(a: Buffer, b: Buffer): number {
  const ta = singleIdType(a);
  if (ta >= 0 && ta === singleIdType(b)) {
    switch (ta) {
      case 0x07: // ObjectId: 12 bytes, compared as bytes
        return a.compare(b, ID_VALUE, ID_VALUE + 12, ID_VALUE, ID_VALUE + 12);
      case 0x10: {
        const x = a.readInt32LE(ID_VALUE);
        const y = b.readInt32LE(ID_VALUE);
        return x < y ? -1 : x > y ? 1 : 0;
      }
      case 0x12: {
        const x = a.readBigInt64LE(ID_VALUE);
        const y = b.readBigInt64LE(ID_VALUE);
        return x < y ? -1 : x > y ? 1 : 0;
      }
      case 0x02: {
        // UTF-8 bytes without the length prefix and the trailing NUL.
        const la = a.readInt32LE(ID_VALUE);
        const lb = b.readInt32LE(ID_VALUE);
        return a.compare(b, ID_VALUE + 4, ID_VALUE + 4 + lb - 1, ID_VALUE + 4, ID_VALUE + 4 + la - 1);
      }
      default:
        break;
    }
  }
  return compareDocumentKeys(a, b);
}

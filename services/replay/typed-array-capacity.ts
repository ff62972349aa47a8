/**
 * The engine's scratch stacks (array items, splice edits) are typed arrays
 * kept for the life of the process and grown by doubling.
 */
type Stack = Uint8Array | Int32Array;

/** An array of the same kind as `a` with room for `capacity`, holding `a`'s elements unless `keep` is false. */
export function withCapacity<T extends Stack>(a: T, capacity: number, keep = true): T {
  const b = new (a.constructor as new (n: number) => T)(capacity);
  if (keep) b.set(a.subarray(0, Math.min(a.length, capacity)));
  return b;
}

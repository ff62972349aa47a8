// The loader hooks record-loads.mjs registers (they run on node's loader thread).
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data?.file;
}

export async function load(url, context, next) {
  const result = await next(url, context);
  // Synchronous: the hooks thread may be stopped as soon as the process exits.
  if (file) appendFileSync(file, `${url}\n`);
  return result;
}

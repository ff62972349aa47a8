// describeWith / itWith: tests that state which server they need. When it is
// there the block runs with it; when it is not, the block's tests are
// registered as skipped and carry the reason (task meta `skipReason`), which
// the skip-summary reporter counts and prints at the end of the run.
import { describe, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { ServerFor, ServerNeed, Unavailable } from './server-info.js';
import { server, skipReason } from './servers.js';

declare module 'vitest' {
  interface TaskMeta {
    /** Why a test was skipped; set by describeWith/itWith when its server is missing. */
    skipReason?: string;
  }
}

/**
 * Handed to a skipped block's body instead of a server: the body still runs
 * (to register its tests), but hooks and tests do not, so reading a field
 * here means the body used the server outside a hook or test.
 */
function absentServer<N extends ServerNeed>(need: N, missing: Unavailable): ServerFor[N] {
  return new Proxy({} as ServerFor[N], {
    get(_target, property) {
      throw new Error(
        `${String(property)} of the ${need} server read outside a test or hook, while the server is missing (${missing.reason})`,
      );
    },
  });
}

/** Runs `body` as a describe block with the server `need` names, or registers its tests as skipped with the reason. */
export function describeWith<N extends ServerNeed>(need: N, name: string, body: (server: ServerFor[N]) => void): void {
  const found = server(need);
  if (found.available) {
    describe(name, () => body(found));
    return;
  }
  describe(name, { skip: true, meta: { skipReason: skipReason(need, found) } }, () => body(absentServer(need, found)));
}

/** One test that needs a server: runs with it, or is registered as skipped with the reason. */
export function itWith<N extends ServerNeed>(
  need: N,
  name: string,
  fn: (server: ServerFor[N], context: TestContext) => Promise<void> | void,
  timeout?: number,
): void {
  const found = server(need);
  if (found.available) {
    it(name, { timeout }, (context) => fn(found, context));
    return;
  }
  it(name, { skip: true, meta: { skipReason: skipReason(need, found) } }, () => undefined);
}

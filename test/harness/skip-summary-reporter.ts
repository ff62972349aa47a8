// A vitest reporter added beside the default one (vitest.config.ts): at the end
// of the run it prints how many tests were skipped, per reason. A test skipped
// because its server is missing carries the reason in its task meta
// (describeWith/itWith); ctx.skip(note) reasons are counted too.
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';
import './describe-with.js';

const NO_REASON = 'no reason recorded (it.skip, describe.skip, todo, .only or a -t filter)';

function reasonOf(test: TestCase): string {
  let node: TestCase | TestSuite | TestModule = test;
  for (;;) {
    const reason = node.meta().skipReason;
    if (reason !== undefined) return reason;
    if (node.type === 'module') break;
    node = node.parent;
  }
  const result = test.result();
  return result.state === 'skipped' && result.note ? result.note : NO_REASON;
}

export function summarizeSkips(modules: ReadonlyArray<TestModule>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const module of modules) {
    for (const test of module.children.allTests('skipped')) {
      const reason = reasonOf(test);
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
  }
  return counts;
}

export function formatSkipSummary(counts: ReadonlyMap<string, number>): string {
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  if (total === 0) return 'skipped tests: none';
  const lines = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `  ${String(count).padStart(4)} × ${reason}`);
  return [`skipped tests: ${total}, by reason:`, ...lines].join('\n');
}

export default class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    process.stdout.write(`\n${formatSkipSummary(summarizeSkips(testModules))}\n`);
  }
}

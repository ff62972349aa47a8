// The Dockerfile, checked without a container engine: dockerfile-utils (the Dockerfile
// language service's linter) with every rule an error, and the structure the issue asks
// for: two stages, production dependencies only in the runtime, a non-root user, a
// healthcheck on /health, one entry for every role. The runtime stage itself is run by
// entry-commands.test.ts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { REPO } from './deploy-support.js';
import { runtimeInstructions } from './image-stage.js';

const ALL_RULES_ERRORS = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

describe('Dockerfile', () => {
  it('passes the linter with every rule an error, and the linter does find faults', async () => {
    const text = await readFile(join(REPO, 'Dockerfile'), 'utf8');
    expect(validate(text, ALL_RULES_ERRORS).map((d) => `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`)).toEqual([]);
    const broken = text.replace('EXPOSE 8080', 'EXPOSE http').replace('WORKDIR /app', 'workdir app');
    expect(validate(broken, ALL_RULES_ERRORS).length).toBeGreaterThanOrEqual(3);
  });

  it('builds in two stages and runs as a non-root user with a healthcheck on /health', async () => {
    const text = await readFile(join(REPO, 'Dockerfile'), 'utf8');
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    const runtime = await runtimeInstructions();
    const keywords = runtime.map((i) => i.keyword);
    expect(runtime[0]?.args).toMatch(/ AS runtime$/);
    // Production dependencies only, and no install scripts (the build stage compiled dist/).
    expect(runtime.filter((i) => i.keyword === 'RUN').map((i) => i.args)).toContainEqual(expect.stringMatching(/^npm ci --omit=dev .*--ignore-scripts/));
    expect(runtime.some((i) => i.keyword === 'COPY' && i.from === 'build' && i.args.startsWith('/src/dist '))).toBe(true);
    // No sources, tests or dev tooling in the runtime.
    for (const copy of runtime.filter((i) => i.keyword === 'COPY' && !i.from)) expect(copy.args).not.toMatch(/^(services|contracts|test|bench) /);
    const user = runtime.find((i) => i.keyword === 'USER');
    expect(user?.args).toBe('node');
    // USER comes before the entry, so nothing runs as root.
    expect(keywords.indexOf('USER')).toBeLessThan(keywords.indexOf('ENTRYPOINT'));
    expect(runtime.find((i) => i.keyword === 'HEALTHCHECK')?.args).toMatch(/http:\/\/127\.0\.0\.1:8080\/health/);
    expect(runtime.find((i) => i.keyword === 'ENTRYPOINT')?.args).toBe('["node", "/app/bin/rewind.mjs"]');
  });
});

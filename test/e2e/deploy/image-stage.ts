// The Dockerfile's runtime stage, reproduced in a folder without a container engine: its
// COPY lines (the build stage's dist/ is this checkout's fresh build, which the build stage
// makes with the same `npm run build`), its `npm` RUN lines executed as written, its ENV,
// and its ENTRYPOINT with /app mapped to the folder. What the image would run, run here:
// the entry commands then prove the runtime stage holds everything a role needs with
// production dependencies only.
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Copy, DockerfileParser } from 'dockerfile-ast';
import { REPO } from './deploy-support.js';

const run = promisify(execFile);

export interface RuntimeStage {
  /** Where /app is. */
  readonly appDir: string;
  /** The image's ENV. */
  readonly env: Readonly<Record<string, string>>;
  /** ENTRYPOINT with /app mapped, e.g. [node, <app>/bin/rewind.mjs]. */
  readonly entrypoint: readonly string[];
  /** HEALTHCHECK CMD, as written. */
  readonly healthcheck: readonly string[];
  /** The RUN lines not executed here, and why (shown by the test). */
  readonly notRun: readonly string[];
}

/** The instructions of the last stage (from its FROM on). */
export async function runtimeInstructions(): Promise<{ keyword: string; args: string; from?: string }[]> {
  const dockerfile = DockerfileParser.parse(await readFile(join(REPO, 'Dockerfile'), 'utf8'));
  const all = dockerfile.getInstructions();
  const lastFrom = all.map((i) => i.getKeyword()).lastIndexOf('FROM');
  return all.slice(lastFrom).map((i) => {
    const args = i.getArgumentsContent() ?? '';
    // Flags are not arguments: COPY's --from is read from the instruction itself.
    const from = i instanceof Copy ? i.getFromFlag()?.getValue() : undefined;
    return { keyword: i.getKeyword(), args, ...(from ? { from } : {}) };
  });
}

function jsonArray(text: string): string[] {
  return JSON.parse(text.replace(/^CMD\s+/, '')) as string[];
}

export async function buildRuntimeStage(into: string): Promise<RuntimeStage> {
  const appDir = join(into, 'app');
  await mkdir(appDir, { recursive: true });
  const env: Record<string, string> = {};
  const notRun: string[] = [];
  let entrypoint: string[] = [];
  let healthcheck: string[] = [];
  for (const { keyword, args, from } of await runtimeInstructions()) {
    if (keyword === 'COPY') {
      const parts = args.split(/\s+/);
      const target = join(appDir, parts.at(-1) ?? '.');
      for (const source of parts.slice(0, -1)) {
        // --from=build /src/dist: the build stage's output is this checkout's dist/ (same `npm run build`).
        const path = from === 'build' ? join(REPO, source.replace(/^\/src\//, '')) : join(REPO, source);
        await cp(path, source.endsWith('.json') ? join(target, source) : target, { recursive: true });
      }
    } else if (keyword === 'RUN') {
      if (args.startsWith('npm ')) {
        await run('sh', ['-c', args], { cwd: appDir, timeout: 10 * 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
      } else notRun.push(args);
    } else if (keyword === 'ENV') {
      for (const match of args.matchAll(/(\w+)=(\S+)/g)) env[match[1] as string] = match[2] as string;
    } else if (keyword === 'ENTRYPOINT') {
      entrypoint = jsonArray(args).map((a) => a.replace(/^\/app\//, `${appDir}/`));
    } else if (keyword === 'HEALTHCHECK') {
      healthcheck = jsonArray(args.replace(/^(--\S+\s+)*/, ''));
    }
  }
  return { appDir, env, entrypoint, healthcheck, notRun };
}

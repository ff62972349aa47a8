// Reads what `npm run test:servers` (deploy/test-servers/install.mjs) installed:
// where each server's jars are, or why they are not there. Runs the installer
// first when the manifest is missing or older than a pom, so
// `npx vitest run` works on its own too (a warm install takes well under 2 s).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { HarnessError } from './harness-error.js';

export const TEST_SERVERS_DIR = fileURLToPath(new URL('../../deploy/test-servers/', import.meta.url));
const INSTALLER = join(TEST_SERVERS_DIR, 'install.mjs');
const MANIFEST = join(process.env.REWIND_TEST_SERVERS_CACHE || join(TEST_SERVERS_DIR, '.cache'), 'manifest.json');
const POMS = {
  kafka: join(TEST_SERVERS_DIR, 'kafka', 'pom.xml'),
  'mongo-java-server': join(TEST_SERVERS_DIR, 'mongo-java-server', 'pom.xml'),
  s3proxy: join(TEST_SERVERS_DIR, 's3proxy', 'pom.xml'),
};

const installedServer = z.object({
  version: z.string().optional(),
  pomSha256: z.string().optional(),
  dir: z.string().optional(),
  launcher: z.string().optional(),
  classes: z.string().optional(),
  mainClass: z.string().optional(),
  sourceSha256: z.string().optional(),
  /** Tool artifacts of the same pom and version, by artifact id: their jar (kafka-tools for ProducerPerformance). */
  tools: z.record(z.string(), z.string()).optional(),
  problem: z.string().optional(),
});

const manifestSchema = z.object({
  schema: z.literal(1),
  java: z.object({ version: z.string() }).nullable(),
  servers: z.object({ kafka: installedServer.optional(), 'mongo-java-server': installedServer.optional(), s3proxy: installedServer.optional() }),
  /** Go programs built by deploy/test-servers/go-tools.mjs, by name: the binary, or why there is none. */
  goTools: z.record(z.string(), z.object({ binary: z.string().optional(), problem: z.string().optional() })).optional(),
});

export type InstalledServerName = keyof typeof POMS;

/** A server whose jars are in place, or the reason they are not. */
export type Installed =
  | {
      readonly ok: true;
      readonly version: string;
      /** The folder holding the server's jars. */
      readonly dir: string;
      /** The launcher's Java source file (MongoStandIn.java, ExitWithParent.java). */
      readonly launcher: string;
      /** The launcher compiled by install.mjs, when javac was there. */
      readonly compiled?: { readonly classes: string; readonly mainClass: string };
      /** Jars of the server's tools (same version), by artifact id; an artifact not there is absent. */
      readonly tools: Readonly<Record<string, string>>;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * `java` arguments that run a server's launcher: the compiled class when there
 * is one, otherwise the source file (single-file source launch, 1.5-3 s slower).
 */
export function launcherArgs(installed: Installed & { ok: true }): string[] {
  const jars = join(installed.dir, '*');
  return installed.compiled
    ? ['-cp', `${installed.compiled.classes}${delimiter}${jars}`, installed.compiled.mainClass]
    : ['-cp', jars, installed.launcher];
}

export interface InstallState {
  readonly javaVersion: string | null;
  server(name: InstalledServerName): Installed;
  /** A Go tool the installer built (its binary), or why it is not there. */
  goTool(name: string): { readonly ok: true; readonly binary: string } | { readonly ok: false; readonly reason: string };
}

async function readManifest(): Promise<z.infer<typeof manifestSchema> | undefined> {
  let text: string;
  try {
    text = await readFile(MANIFEST, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

async function isCurrent(manifest: z.infer<typeof manifestSchema>): Promise<boolean> {
  if (manifest.java === null) return false; // Java may have been installed since: ask again (0.1 s).
  if (manifest.goTools === undefined) return false; // Written before the installer built Go tools.
  for (const [name, pom] of Object.entries(POMS) as [InstalledServerName, string][]) {
    const entry = manifest.servers[name];
    if (!entry || entry.problem !== undefined) return false;
    const sha = createHash('sha256').update(await readFile(pom)).digest('hex');
    if (entry.pomSha256 !== sha) return false;
    if (entry.launcher === undefined) return false;
    const launcherSha = createHash('sha256').update(await readFile(entry.launcher)).digest('hex');
    if (entry.sourceSha256 !== launcherSha) return false;
  }
  return true;
}

export async function loadInstallState(): Promise<InstallState> {
  let manifest = await readManifest();
  if (!manifest || !(await isCurrent(manifest))) {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [INSTALLER], { timeout: 15 * 60_000 });
      process.stdout.write(stdout + stderr);
    } catch (error) {
      // install.mjs exits 1 when Maven fails; the manifest then names the problem.
      const failed = error as { stdout?: string; stderr?: string };
      process.stdout.write(`${failed.stdout ?? ''}${failed.stderr ?? ''}`);
    }
    manifest = await readManifest();
  }
  if (!manifest) {
    throw new HarnessError('HARNESS_NOT_INSTALLED', `${MANIFEST} is missing or unreadable after running ${INSTALLER}`, {
      retryable: false,
    });
  }
  const { java, servers, goTools } = manifest;
  return {
    javaVersion: java?.version ?? null,
    goTool(name) {
      const entry = goTools?.[name];
      if (entry?.binary !== undefined) return { ok: true, binary: entry.binary };
      return { ok: false, reason: entry?.problem ?? `${name} is not built (run npm run test:servers)` };
    },
    server(name) {
      const entry = servers[name];
      if (!entry) return { ok: false, reason: `${name} is not installed (run npm run test:servers)` };
      if (entry.problem !== undefined) return { ok: false, reason: entry.problem };
      if (entry.version === undefined || entry.dir === undefined || entry.launcher === undefined) {
        return { ok: false, reason: `${name} is not installed (run npm run test:servers)` };
      }
      const compiled =
        entry.classes !== undefined && entry.mainClass !== undefined ? { classes: entry.classes, mainClass: entry.mainClass } : undefined;
      return { ok: true, version: entry.version, dir: entry.dir, launcher: entry.launcher, tools: entry.tools ?? {}, ...(compiled ? { compiled } : {}) };
    },
  };
}

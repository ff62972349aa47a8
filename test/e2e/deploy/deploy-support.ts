// Shared by the deployment tests: the repository root, and the compose-go loader that the
// test-server installer builds (deploy/compose-check), or why it is not there.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadInstallState } from '../../harness/install-manifest.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The parts of a resolved compose project (compose-go's JSON) that the tests read. */
export interface ResolvedService {
  image?: string;
  profiles?: string[];
  build?: { context: string; dockerfile: string };
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
}

export interface ResolvedProject {
  services: Record<string, ResolvedService>;
  volumes?: Record<string, unknown>;
}

export type ComposeCheck =
  | { ok: true; binary: string; load: (file: string) => Promise<ResolvedProject> }
  | { ok: false; reason: string };

export async function composeCheck(): Promise<ComposeCheck> {
  const tool = (await loadInstallState()).goTool('compose-check');
  if (!tool.ok) return { ok: false, reason: tool.reason };
  const { binary } = tool;
  return {
    ok: true,
    binary,
    load: async (file) => {
      const { stdout } = await promisify(execFile)(binary, [file], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, COMPOSE_PROFILES: '' } });
      return JSON.parse(stdout) as ResolvedProject;
    },
  };
}

// The compose file, checked without a container engine (none runs on the build machines):
// compose-go, the loader Docker Compose itself reads compose files with, validates it
// against the Compose specification's JSON schema and resolves it (deploy/compose-check);
// the resolved project is then held to what the README and issue promise: the test
// servers without a profile, the whole pipeline under `stack`, container host names,
// named volumes, and the versions the tests run.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeCheck, REPO, type ResolvedProject } from './deploy-support.js';

const run = promisify(execFile);

/** The version a pom pins, e.g. kafka.version in deploy/test-servers/kafka/pom.xml. */
async function pomVersion(server: string, property: string): Promise<string> {
  const pom = await readFile(join(REPO, 'deploy', 'test-servers', server, 'pom.xml'), 'utf8');
  const match = new RegExp(`<${property.replaceAll('.', '\\.')}>([^<]+)</`).exec(pom);
  if (!match?.[1]) throw new Error(`no ${property} in the ${server} pom`);
  return match[1].trim();
}

const check = await composeCheck();

describe('docker-compose.yml', check.ok ? {} : { skip: true, meta: { skipReason: `compose-check: ${check.reason}` } }, () => {
  let project: ResolvedProject;
  let scratch: string;
  beforeAll(async () => {
    if (!check.ok) return;
    project = await check.load(join(REPO, 'docker-compose.yml'));
    scratch = await mkdtemp(join(tmpdir(), 'rewind-compose-'));
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('is refused when it breaks the specification or names what does not exist', async () => {
    if (!check.ok) return;
    const text = await readFile(join(REPO, 'docker-compose.yml'), 'utf8');
    const typo = join(scratch, 'typo.yml');
    await writeFile(typo, text.replace('    image: apache/kafka', '    imag: apache/kafka'));
    await expect(run(check.binary, [typo])).rejects.toMatchObject({ stderr: expect.stringMatching(/services\.kafka\.imag/) as unknown });
    const volume = join(scratch, 'volume.yml');
    await writeFile(volume, text.replace('      - archive:/var/lib/rewind/archive', '      - archiv:/var/lib/rewind/archive'));
    await expect(run(check.binary, [volume])).rejects.toMatchObject({ stderr: expect.stringMatching(/undefined volume archiv/) as unknown });
  });

  it('starts the test servers alone without a profile, and the pipeline under `stack`', () => {
    if (!check.ok) return;
    const profiles = Object.fromEntries(Object.entries(project.services).map(([name, s]) => [name, s.profiles ?? []]));
    expect(profiles.kafka).toEqual([]);
    expect(profiles.mongo).toEqual([]);
    for (const role of ['rewind-collect', 'rewind-archive', 'rewind-serve']) expect(profiles[role], role).toEqual(['stack']);
    expect(profiles.s3).toEqual(['s3']);
    expect(profiles.prometheus).toEqual(['monitoring']);
    // One image for every role, built from this repository's Dockerfile.
    const roles = Object.entries(project.services).filter(([, s]) => s.image === 'rewind:local');
    expect(roles.map(([name]) => name).sort()).toEqual(['rewind-archive', 'rewind-collect', 'rewind-serve', 's3-bucket']);
    for (const [name, s] of roles) expect(s.build?.dockerfile, name).toBe('Dockerfile');
    expect(project.services['rewind-collect']?.command?.[0]).toBe('collect');
    expect(project.services['rewind-archive']?.command?.[0]).toBe('archive');
    expect(project.services['rewind-serve']?.command?.[0]).toBe('serve');
  });

  it('runs the versions the tests run', async () => {
    if (!check.ok) return;
    expect(project.services.kafka?.image).toBe(`apache/kafka:${await pomVersion('kafka', 'kafka.version')}`);
    expect(project.services.s3?.image).toBe(`andrewgaul/s3proxy:${await pomVersion('s3proxy', 's3proxy.version')}`);
    expect(project.services.mongo?.image).toMatch(/^mongo:8\.\d+$/);
    const dockerfile = await readFile(join(REPO, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
    // The image's Node is the engines' minimum line (>=20.19 → node:20.19-…).
    expect(dockerfile).toContain(`ARG NODE_IMAGE=node:${pkg.engines.node.replace('>=', '')}-`);
  });

  it('names servers by their container host names, never localhost, for the rewind containers', () => {
    if (!check.ok) return;
    const kafka = project.services.kafka?.environment ?? {};
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toMatch(/INTERNAL:\/\/kafka:29092/);
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toMatch(/HOST:\/\/localhost:9092/);
    const mongoInit = (project.services.mongo?.healthcheck?.test ?? []).join(' ');
    expect(mongoInit).toContain("host: 'mongo:27017'");
    for (const role of ['rewind-collect', 'rewind-archive', 'rewind-serve']) {
      const env = project.services[role]?.environment ?? {};
      for (const [key, value] of Object.entries(env)) expect(String(value), `${role} ${key}`).not.toMatch(/localhost|127\.0\.0\.1/);
    }
    expect(project.services['rewind-collect']?.environment?.REWIND_SOURCE_URI).toBe('mongodb://mongo:27017/?replicaSet=rs0');
    expect(project.services['rewind-collect']?.environment?.REWIND_KAFKA_BROKERS).toBe('kafka:29092');
  });

  it('keeps state in named volumes: the archive shared by archive and serve', () => {
    if (!check.ok) return;
    const mounts = (name: string) => (project.services[name]?.volumes ?? []).map((v) => `${v.type}:${v.source}:${v.target}`);
    expect(mounts('rewind-archive')).toContain('volume:archive:/var/lib/rewind/archive');
    expect(mounts('rewind-serve')).toContain('volume:archive:/var/lib/rewind/archive');
    expect(mounts('rewind-collect')).toContain('volume:collector-state:/var/lib/rewind/state');
    expect(Object.keys(project.volumes ?? {})).toEqual(expect.arrayContaining(['archive', 'collector-state', 'kafka-data', 'mongo-data']));
    // rewind drains on SIGTERM: compose waits before it kills.
    for (const role of ['rewind-collect', 'rewind-archive', 'rewind-serve']) expect(project.services[role]?.stop_grace_period, role).toBe('1m0s');
  });
});

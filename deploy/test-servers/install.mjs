#!/usr/bin/env node
// Installs the servers rewind's tests run locally (deploy/test-servers/README.md):
// an Apache Kafka broker, mongo-java-server and s3proxy, as jars from Maven Central,
// resolved by the poms beside this file into a git-ignored cache:
//
//   deploy/test-servers/.cache/<server>-<version>/*.jar   (+ .installed marker)
//   deploy/test-servers/.cache/manifest.json              (read by test/harness)
//
// (REWIND_TEST_SERVERS_CACHE=<dir> puts the cache elsewhere.)
//
// Plain Node on purpose: it runs before anything is type-checked or built.
// Idempotent: a server whose marker matches its pom is not resolved again, so
// a warm run only checks `java -version`. When Java or Maven is missing it
// says so, records the reason in the manifest (the harness then skips the
// tests that need these servers, naming the reason) and exits 0.
// A failed resolution (network, registry) exits 1: that is a broken install,
// not a missing tool.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { installGoTool } from './go-tools.mjs';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
// REWIND_TEST_SERVERS_CACHE moves the cache (e.g. to a CI cache volume); the harness reads the same variable.
const cacheDir = process.env.REWIND_TEST_SERVERS_CACHE || join(here, '.cache');
const manifestPath = join(cacheDir, 'manifest.json');
const MIN_JAVA = 17;

/** Go programs the tests run, each built from a module folder of this repository (go-tools.mjs). */
const goTools = [
  // The compose-go loader (what Docker Compose reads compose files with): test/e2e/deploy.
  { name: 'compose-check', moduleDir: join(here, '..', 'compose-check') },
];

/** Builds every Go tool into the manifest's `goTools`; a tool that cannot be built says why. */
async function installGoTools(manifest) {
  manifest.goTools = {};
  let failed = false;
  for (const tool of goTools) {
    try {
      manifest.goTools[tool.name] = await installGoTool({ ...tool, cacheDir, say });
      if (manifest.goTools[tool.name].problem) say(`${tool.name}: ${manifest.goTools[tool.name].problem}; its tests will be skipped`);
    } catch (error) {
      failed = true;
      console.error(`test-servers: ${error.message}`);
      manifest.goTools[tool.name] = { problem: `${tool.name} could not be built (see npm run test:servers)` };
    }
  }
  return failed;
}

/**
 * The servers, each resolved by its own pom; `versionProperty` names the pom property holding its version.
 * `tools`: artifacts of the same pom, at the same version, that the manifest names by their jar (the harness
 * and benchmarks look them up there instead of guessing file names).
 */
const servers = [
  {
    name: 'kafka',
    pom: join(here, 'kafka', 'pom.xml'),
    versionProperty: 'kafka.version',
    launcher: join(here, 'kafka', 'ExitWithParent.java'),
    // ProducerPerformance, the second baseline of bench/capture.ts.
    tools: ['kafka-tools'],
  },
  {
    name: 'mongo-java-server',
    pom: join(here, 'mongo-java-server', 'pom.xml'),
    versionProperty: 'mongo-java-server.version',
    launcher: join(here, 'mongo-java-server', 'MongoStandIn.java'),
  },
  {
    // An S3-compatible server for the S3 archive: its main does not watch stdin either.
    name: 's3proxy',
    pom: join(here, 's3proxy', 'pom.xml'),
    versionProperty: 's3proxy.version',
    launcher: join(here, 'kafka', 'ExitWithParent.java'),
  },
];

const quiet = process.argv.includes('--quiet');
const say = (line) => {
  if (!quiet) console.log(`test-servers: ${line}`);
};

/** Runs `command args`, resolving to its output, or to undefined when the command does not exist. */
async function probe(command, args) {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 30_000 });
    return `${stdout}${stderr}`;
  } catch (error) {
    if (error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

async function findJava() {
  const output = await probe('java', ['-version']);
  if (output === undefined) {
    return { problem: `java not found on PATH (install a JDK ${MIN_JAVA}+ and Maven 3.8+, then run npm run test:servers)` };
  }
  // `openjdk version "17.0.15" ...` or `java version "21" ...`
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (!match) return { problem: `cannot read the Java version from: ${output.split('\n')[0]}` };
  const major = Number(match[1] === '1' ? match[2] : match[1]);
  const version = /version "([^"]+)"/.exec(output)[1];
  if (major < MIN_JAVA) return { problem: `java ${version} is too old (need ${MIN_JAVA}+)` };
  return { version };
}

async function pomFacts(server) {
  const pom = await readFile(server.pom, 'utf8');
  const match = new RegExp(`<${server.versionProperty.replaceAll('.', '\\.')}>([^<]+)</`).exec(pom);
  if (!match) throw new Error(`${server.pom} has no <${server.versionProperty}> property`);
  return { version: match[1].trim(), pomSha256: createHash('sha256').update(pom).digest('hex') };
}

async function readMarker(dir) {
  try {
    return JSON.parse(await readFile(join(dir, '.installed'), 'utf8'));
  } catch {
    return undefined;
  }
}

async function jarCount(dir) {
  return (await readdir(dir)).filter((file) => file.endsWith('.jar')).length;
}

/** `{ artifact: jar path }` for the server's tools found in its folder; a missing one is left out (its user says so). */
async function toolJars(server, version, dir) {
  const files = new Set(await readdir(dir));
  const tools = {};
  for (const artifact of server.tools ?? []) {
    const jar = `${artifact}-${version}.jar`;
    if (files.has(jar)) tools[artifact] = join(dir, jar);
  }
  return server.tools ? { tools } : {};
}

/** Resolves one server's jars into a fresh folder, then moves it into place, so a half-done copy is never used. */
async function resolveJars(server, facts, dir) {
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    await run(
      'mvn',
      ['-B', '-q', '-f', server.pom, 'dependency:copy-dependencies', `-DoutputDirectory=${partial}`],
      { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    await writeFile(
      join(partial, '.installed'),
      `${JSON.stringify({ version: facts.version, pomSha256: facts.pomSha256, at: new Date().toISOString() })}\n`,
    );
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    // Another install (a parallel test run) may have finished the same folder meanwhile.
    const marker = await readMarker(dir);
    if (marker?.pomSha256 === facts.pomSha256) return;
    throw error;
  }
}

/**
 * Compiles a server's launcher (a single Java source file) once, so starting a
 * server skips the 1.5-3 s that a source-file launch spends in javac. Returns
 * the class folder, or undefined when javac is missing: the harness then
 * launches the source file directly (`java -cp <jars> File.java`).
 */
async function compileLauncher(server, jarsDir) {
  const source = await readFile(server.launcher);
  const sha = createHash('sha256').update(source).digest('hex');
  const name = basename(server.launcher, '.java');
  const dir = join(cacheDir, 'launchers', `${name}-${sha.slice(0, 16)}`);
  const marker = await readMarker(dir);
  if (marker?.sourceSha256 === sha) return { classes: dir, mainClass: name, sourceSha256: sha };
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    await run('javac', ['-d', partial, '-cp', join(jarsDir, '*'), server.launcher], { timeout: 120_000 });
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    if (error && error.code === 'ENOENT') {
      say(`${name}.java: javac not found; the server will be launched from source (slower start)`);
      return { sourceSha256: sha };
    }
    throw error;
  }
  await writeFile(join(partial, '.installed'), `${JSON.stringify({ sourceSha256: sha })}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir).catch(async (error) => {
    // A parallel install finished the same folder first.
    await rm(partial, { recursive: true, force: true });
    if ((await readMarker(dir))?.sourceSha256 !== sha) throw error;
  });
  say(`${name}.java: compiled`);
  return { classes: dir, mainClass: name, sourceSha256: sha };
}

async function writeManifest(manifest) {
  await mkdir(cacheDir, { recursive: true });
  const temporary = `${manifestPath}.${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, manifestPath);
}

async function main() {
  const started = Date.now();
  const manifest = { schema: 1, writtenAt: new Date().toISOString(), java: null, servers: {} };
  const goFailed = await installGoTools(manifest);
  const java = await findJava();
  if (java.problem) {
    say(`${java.problem}; tests that need Kafka, the MongoDB stand-in or the S3 server will be skipped`);
    for (const server of servers) manifest.servers[server.name] = { problem: java.problem };
    await writeManifest(manifest);
    return goFailed ? 1 : 0;
  }
  manifest.java = { version: java.version };

  let mavenChecked = false;
  let mavenProblem;
  let failed = false;
  for (const server of servers) {
    const facts = await pomFacts(server);
    const dir = join(cacheDir, `${server.name}-${facts.version}`);
    const entry = { version: facts.version, pomSha256: facts.pomSha256, dir, launcher: server.launcher };
    const marker = await readMarker(dir);
    if (marker?.pomSha256 === facts.pomSha256) {
      say(`${server.name} ${facts.version}: cached (${await jarCount(dir)} jars in ${dir})`);
      manifest.servers[server.name] = { ...entry, ...(await toolJars(server, facts.version, dir)), ...(await compileLauncher(server, dir)) };
      continue;
    }
    if (!mavenChecked) {
      mavenChecked = true;
      const output = await probe('mvn', ['-v']);
      if (output === undefined) {
        mavenProblem = 'mvn (Maven 3.8+) not found on PATH, so the test servers cannot be installed (install Maven, then run npm run test:servers)';
      }
    }
    if (mavenProblem) {
      say(`${server.name} ${facts.version}: ${mavenProblem}; its tests will be skipped`);
      manifest.servers[server.name] = { ...entry, problem: mavenProblem };
      continue;
    }
    const begun = Date.now();
    say(`${server.name} ${facts.version}: resolving from Maven Central (${server.pom}) ...`);
    try {
      await resolveJars(server, facts, dir);
      say(`${server.name} ${facts.version}: installed ${await jarCount(dir)} jars in ${((Date.now() - begun) / 1000).toFixed(1)} s`);
      manifest.servers[server.name] = { ...entry, ...(await toolJars(server, facts.version, dir)), ...(await compileLauncher(server, dir)) };
    } catch (error) {
      failed = true;
      const detail = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n') || String(error);
      console.error(`test-servers: ${server.name} ${facts.version}: Maven could not resolve the jars:\n${detail}`);
      manifest.servers[server.name] = { ...entry, problem: `Maven could not resolve ${server.name} ${facts.version} (see npm run test:servers)` };
    }
  }
  await writeManifest(manifest);
  say(`java ${java.version}; done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed || goFailed ? 1 : 0;
}

process.exitCode = await main();

// The local S3 route: s3proxy from the Maven Central jars install.mjs cached,
// with its filesystem-nio2 backend in a temporary folder (objects survive a
// restart of the server, which the S3 archive's tests rely on), path-style
// addressing, AWS signature v4 with a random key pair, on 127.0.0.1 and a
// port the OS picks (Jetty logs it; no race for a free one). Started through
// ExitWithParent so it ends when the harness does.
//
// Checked against s3proxy 4.1.0 here: If-None-Match on PutObject and on
// CompleteMultipartUpload is honoured and atomic (8 concurrent creators of a
// key, 20 rounds: exactly one winner each); If-Match is honoured but not
// atomic (concurrent replacements can both win), which is why the S3 catalog
// fences with create-only objects (services/archive/s3-catalog-medium.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Installed } from './install-manifest.js';
import { TEST_SERVERS_DIR, launcherArgs } from './install-manifest.js';
import type { S3Server } from './server-info.js';
import { ServerProcess, removeOnExit } from './server-process.js';

const READY_TIMEOUT_MS = 60_000;
const READY_LINE = /Started \S*ServerConnector@\w+\{HTTP\/1\.1, \(http\/1\.1\)\}\{([\d.]+):(\d+)\}/;

/** What a test needs to start its own s3proxy (a server it may stop and restart). */
export interface S3ProxyLaunch {
  readonly version: string;
  readonly javaArgs: readonly string[];
}

export function s3ProxyLaunch(installed: Installed & { ok: true }): S3ProxyLaunch {
  return {
    version: installed.version,
    javaArgs: [
      '-Xmx256m',
      // C1 only and the serial GC: a test server needs a quick start, not peak speed.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Dlogback.configurationFile=${join(TEST_SERVERS_DIR, 's3proxy', 'logback.xml')}`,
      ...launcherArgs(installed),
      'org.gaul.s3proxy.Main',
    ],
  };
}

export interface RunningS3Proxy {
  readonly server: S3Server;
  /** The objects' folder; a restarted server given the same one sees the same objects. */
  readonly dataDir: string;
  readonly port: number;
  /**
   * Stops the server; with `keepData`, leaves the objects' folder for a restart. `graceMs: 0`
   * kills it at once, mid-request, as a crash would (default: a second for an orderly stop).
   */
  readonly stop: (options?: { keepData?: boolean; graceMs?: number }) => Promise<void>;
}

export interface S3ProxyOptions {
  /** A fixed port (a restart on the port the clients know); the OS picks one by default. */
  readonly port?: number;
  /** An existing objects' folder (a restart); a fresh temporary one by default. */
  readonly dataDir?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

export async function startS3Proxy(launch: S3ProxyLaunch, options: S3ProxyOptions = {}): Promise<RunningS3Proxy> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'rewind-s3proxy-')));
  const forget = ownDir ? removeOnExit(dataDir) : () => undefined;
  const accessKeyId = options.accessKeyId ?? `rewind-${randomBytes(4).toString('hex')}`;
  const secretAccessKey = options.secretAccessKey ?? randomBytes(18).toString('base64url');
  const blobs = join(dataDir, 'blobs');
  await mkdir(blobs, { recursive: true });
  const properties = join(dataDir, `s3proxy-${process.pid}-${randomBytes(3).toString('hex')}.properties`);
  await writeFile(
    properties,
    [
      `s3proxy.endpoint=http://127.0.0.1:${options.port ?? 0}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${accessKeyId}`,
      `s3proxy.credential=${secretAccessKey}`,
      'jclouds.provider=filesystem-nio2',
      `jclouds.filesystem.basedir=${blobs}`,
      '',
    ].join('\n'),
  );
  const child = new ServerProcess({ name: 's3proxy', command: 'java', args: [...launch.javaArgs, '--properties', properties] });
  const removeData = async () => {
    forget();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const [, host, port] = await child.waitForLine(READY_LINE, READY_TIMEOUT_MS);
    const endpoint = `http://${host}:${port}`;
    return {
      server: { available: true, kind: 'local', version: launch.version, endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, launch },
      dataDir,
      port: Number(port),
      async stop(stopOptions = {}) {
        await child.stop(stopOptions.graceMs ?? 1_000);
        await rm(properties, { force: true });
        if (!stopOptions.keepData) await removeData();
      },
    };
  } catch (error) {
    await child.stop(0);
    await removeData();
    throw error;
  }
}

// Whether a container runtime (Docker, Podman, ...) answers, probed once per
// run. testcontainers is imported only here and in the container starters, and
// only when needed: its import costs about half a second.

export type RuntimeProbe =
  | { readonly ok: true; readonly host: string; readonly name: string }
  | { readonly ok: false; readonly reason: string };

let probe: Promise<RuntimeProbe> | undefined;

export function probeContainerRuntime(): Promise<RuntimeProbe> {
  probe ??= (async (): Promise<RuntimeProbe> => {
    if (process.env.REWIND_TEST_NO_CONTAINERS !== undefined) {
      return { ok: false, reason: 'containers disabled by REWIND_TEST_NO_CONTAINERS' };
    }
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      const client = await getContainerRuntimeClient();
      return { ok: true, host: client.info.containerRuntime.host, name: client.info.containerRuntime.remoteSocketPath };
    } catch (error) {
      return { ok: false, reason: `no container runtime (${error instanceof Error ? error.message : String(error)})` };
    }
  })();
  return probe;
}

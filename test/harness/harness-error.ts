// Errors the test harness raises while finding or starting a test server.
// Stable codes so a failing global setup says what kind of trouble it is.

export type HarnessErrorCode =
  /** An address given in the environment (KAFKA_BROKERS, REWIND_TEST_MONGODB_URI) does not answer. */
  | 'HARNESS_ENV_SERVER_UNREACHABLE'
  /** A local server process could not be started or never became ready. */
  | 'HARNESS_START_FAILED'
  /** A container could not be started although a container runtime answered. */
  | 'HARNESS_CONTAINER_FAILED'
  /** The install manifest (deploy/test-servers/.cache/manifest.json) is missing or unreadable. */
  | 'HARNESS_NOT_INSTALLED';

export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code: HarnessErrorCode;
  /** Whether running again may help (a port race, a slow machine), as opposed to a configuration fault. */
  readonly retryable: boolean;

  constructor(code: HarnessErrorCode, message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
  }
}

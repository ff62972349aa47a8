import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { CollectorError } from './collector-errors.js';
import { isRetryableSourceError } from './retryable-error.js';

describe('which source errors the collector retries', () => {
  it('retries what time can cure: the network, server selection, unknown server errors', () => {
    expect(isRetryableSourceError(new MongoNetworkError('connection reset'))).toBe(true);
    expect(isRetryableSourceError(new MongoServerError({ code: 91, codeName: 'ShutdownInProgress', errmsg: 'shutting down' }))).toBe(true);
    expect(isRetryableSourceError(new CollectorError('SOURCE_UNREACHABLE', { detail: 'x' }))).toBe(true);
  });

  it('stops on bad credentials and missing privileges instead of reconnecting forever', () => {
    expect(isRetryableSourceError(new MongoServerError({ code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' }))).toBe(false);
    expect(isRetryableSourceError(new MongoServerError({ code: 13, codeName: 'Unauthorized', errmsg: 'not authorized on admin to execute command' }))).toBe(false);
    expect(isRetryableSourceError(new CollectorError('SOURCE_TOO_OLD', { version: '5.0.0' }))).toBe(false);
  });

  it('does not mistake a plain programming error for an outage', () => {
    expect(isRetryableSourceError(new TypeError('x is undefined'))).toBe(false);
  });
});

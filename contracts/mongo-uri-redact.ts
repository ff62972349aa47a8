/**
 * Redacting a MongoDB connection string for status, logs and errors (rules in mongo-uri.ts). Apart from the
 * checks there, so that a command that only shows URIs (`rewind status`) does not load the driver.
 */
/** The URI with its password (or, when the credentials cannot be delimited, its whole user part) as `***`. */
export function redactMongoUri(uri: string): string {
  const scheme = uri.indexOf('://');
  if (scheme < 0) return uri.includes('@') ? '***' : uri;
  const head = uri.slice(0, scheme + 3);
  const rest = uri.slice(scheme + 3);
  const lastAt = rest.lastIndexOf('@');
  if (lastAt < 0) return uri;
  const firstAt = rest.indexOf('@');
  const boundary = rest.search(/[/?]/);
  const plain = firstAt === lastAt && (boundary < 0 || lastAt < boundary);
  if (plain) {
    const userinfo = rest.slice(0, lastAt);
    const colon = userinfo.indexOf(':');
    return `${head}${colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:***`}${rest.slice(lastAt)}`;
  }
  return `${head}***${rest.slice(lastAt)}`;
}

/**
 * How the caller of a restore-room job names each field of its request, so a
 * refusal speaks the caller's words: the CLI passes its flags (`--target-uri`),
 * the HTTP API its body fields. The room itself knows no flags; without names
 * a message uses the request's own field names, which are also the API's.
 */
export type RequestField =
  | 'archive'
  | 'at'
  | 'mode'
  | 'dryRun'
  | 'namespaces'
  | 'filter'
  | 'ids'
  | 'keysFrom'
  | 'targetUri'
  | 'sourceUri'
  | 'mappings'
  | 'mappingTo'
  | 'confirmSource'
  | 'jobId'
  | 'jobDir'
  | 'tempDir'
  | 'ns'
  | 'liveUri'
  | 'liveNs'
  | 'out'
  | 'maxKeys';

export type RequestNames = Partial<Record<RequestField, string>>;

export function nameOf(names: RequestNames | undefined, field: RequestField): string {
  return names?.[field] ?? field;
}

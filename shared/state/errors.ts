/**
 * Errors of the state store, and the mapping of Cosmos DB failures onto the project's error classes.
 */
import type { z } from 'zod';
import { FleetMeshError } from '../errors.js';

/** A stored document did not have the expected shape. Names the container, the document id and the fields. */
export class InvalidStateDocumentError extends FleetMeshError {
  readonly container: string;
  readonly documentId: string;
  constructor(container: string, documentId: string, problems: readonly string[]) {
    super('Internal', `malformed ${container} document '${documentId}': ${problems.join('; ')}`, {
      status: 500,
      retryable: false,
      details: problems,
    });
    this.container = container;
    this.documentId = documentId;
  }
}

/** HTTP status of a Cosmos DB `ErrorResponse` (its numeric `code`), or undefined for anything else. */
export function cosmosStatus(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code: unknown = Reflect.get(error, 'code');
  if (typeof code === 'number') return code;
  const statusCode: unknown = Reflect.get(error, 'statusCode');
  return typeof statusCode === 'number' ? statusCode : undefined;
}

export const isCosmosNotFound = (e: unknown): boolean => cosmosStatus(e) === 404;
export const isCosmosConflict = (e: unknown): boolean => cosmosStatus(e) === 409;
export const isCosmosPreconditionFailed = (e: unknown): boolean => cosmosStatus(e) === 412;

/**
 * Wraps an unexpected Cosmos DB failure so it crosses the HTTP boundary as a clear error: 429 (after the SDK's own
 * retries) and 5xx are retryable; anything else is not. The original error is kept as `cause`.
 */
export function toStateError(error: unknown, what: string): FleetMeshError {
  if (error instanceof FleetMeshError) return error;
  const status = cosmosStatus(error);
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (status === 429) {
    return new FleetMeshError('Throttled', `${what}: Cosmos DB throttled the request`, {
      status: 503,
      retryable: true,
      cause: error,
    });
  }
  if (status === 401 || status === 403) {
    return new FleetMeshError(
      status === 401 ? 'Unauthorized' : 'Forbidden',
      `${what}: Cosmos DB refused access (${status}); check the identity's data-plane role assignment`,
      { status: 500, retryable: false, cause: error },
    );
  }
  const retryable = status === undefined || status >= 500 || status === 408;
  return new FleetMeshError('Internal', `${what}: Cosmos DB request failed${status ? ` (${status})` : ''}: ${detail}`, {
    status: 500,
    retryable,
    cause: error,
  });
}

/** Parses a document read back from Cosmos DB; a mismatch is an InvalidStateDocumentError naming the fields. */
export function parseStateDocument<S extends z.ZodType>(
  schema: S,
  container: string,
  documentId: string,
  raw: unknown,
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new InvalidStateDocumentError(container, documentId, describeIssues(result.error));
}

/** `field 'a.b': message` for each zod issue. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `field '${issue.path.map(String).join('.') || '(document)'}': ${issue.message}`);
}

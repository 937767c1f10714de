// The service errors are the CLI's errors (../errors.ts maps them to exit codes, and it sits
// below every folder): they live there and are re-exported here for the services' code.
export {
  redactUrl,
  SERVICE_REFUSED,
  SERVICE_UNAVAILABLE,
  type ServiceName,
  ServiceRefusedError,
  ServiceUnavailableError,
} from '../errors.js';

/** A message for any thrown value, for reports and events. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

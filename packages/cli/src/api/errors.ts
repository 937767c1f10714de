/** Stable codes of the control API's answers (docs/errors.md); every error body is `{code, message}`. */
export const ApiErrorCode = {
  /** No token, a malformed one, a bad signature, an expired or revoked one: 401. */
  Unauthorized: 'TN_ERR_API_UNAUTHORIZED',
  /** A valid token without the scope or the account the request needs: 403. */
  Forbidden: 'TN_ERR_API_FORBIDDEN',
  /** Too many failed attempts from one address: 429, with `retry-after`. */
  RateLimited: 'TN_ERR_API_RATE_LIMITED',
  /** A request that does not match its schema (the field is named): 400. */
  Invalid: 'TN_ERR_API_INVALID',
  /** No such resource (an account name, a path): 404. */
  NotFound: 'TN_ERR_API_NOT_FOUND',
  /** What the request needs is not there (no journal, no Kafka producer): 503. */
  Unavailable: 'TN_ERR_API_UNAVAILABLE',
  /** A failure of the server itself (logged on stderr, with the error): 500. */
  Internal: 'TN_ERR_API_INTERNAL',
  /** No signing key, or one under 32 bytes: the API does not start. */
  KeyMissing: 'TN_ERR_API_KEY_MISSING',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** An error the API answers with its status and `{code, message}`; the message never holds a token. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const unauthorized = (message: string) => new ApiError(401, ApiErrorCode.Unauthorized, message);
export const forbidden = (message: string) => new ApiError(403, ApiErrorCode.Forbidden, message);
export const notFound = (message: string) => new ApiError(404, ApiErrorCode.NotFound, message);
export const invalid = (message: string) => new ApiError(400, ApiErrorCode.Invalid, message);
export const unavailable = (message: string) => new ApiError(503, ApiErrorCode.Unavailable, message);

/**
 * Typed errors. Every API error body `{"error": {"code", "message", "details"}}` becomes one of
 * these, chosen by the HTTP status (and, for 429, by the code), as in the Python SDK.
 */

export interface LoopwindErrorOptions {
  code?: string;
  status?: number;
  details?: Record<string, unknown>;
  requestId?: string;
  cause?: unknown;
}

/** The base class: `status` (HTTP, or undefined when no response came), `code` (the API's snake_case
 * code), `message`, `details` and `requestId` (the response's X-Request-Id, for support). */
export class LoopwindError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly requestId: string | undefined;

  constructor(message: string, options: LoopwindErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'error';
    this.status = options.status;
    this.details = options.details ?? {};
    this.requestId = options.requestId;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      details: this.details,
      requestId: this.requestId,
    };
  }
}

/** 400 / 413: invalid input; `details` names the field or prop. */
export class BadRequest extends LoopwindError {}
/** 401: missing, wrong or expired credentials (`invalid_api_key`, `token_expired` …). */
export class AuthError extends LoopwindError {}
/** 403: the key lacks a scope, or the plan does not include the feature. */
export class PermissionDenied extends LoopwindError {}
/** 404: no such template, version, job or key (or not visible to you). */
export class NotFound extends LoopwindError {}
/** 409: e.g. `version_exists` when publishing a version again, or an Idempotency-Key reused with another body. */
export class Conflict extends LoopwindError {}
/** 422 from a render, or an async job that ended `failed`. */
export class RenderFailed extends LoopwindError {}

/** 429 after the automatic retries; `retryAfter` in seconds (undefined when the server gave none). */
export class RateLimited extends LoopwindError {
  readonly retryAfter: number | undefined;

  constructor(message: string, options: LoopwindErrorOptions & { retryAfter?: number } = {}) {
    super(message, options);
    this.retryAfter = options.retryAfter;
  }
}

/** 429 `quota_exceeded`: this month's renders are spent (never retried). */
export class QuotaExceeded extends RateLimited {}
/** 5xx, 503 `queue_unavailable` included (after the automatic retries). */
export class ServerError extends LoopwindError {}
/** No response: DNS, refused connection, TLS, or the request's `timeout` ran out (code `timeout`). */
export class ConnectionError extends LoopwindError {}
/** The job ended `cancelled`. */
export class JobCancelled extends LoopwindError {}
/** `job.wait({ timeout })` ran out before the job finished. */
export class WaitTimeout extends LoopwindError {}
/** A webhook's signature, id or timestamp did not verify. */
export class WebhookVerificationError extends LoopwindError {}

/** The names the Python SDK uses, for those who know it. */
export { BadRequest as ValidationError, ConnectionError as APIConnectionError };

const BY_STATUS: Record<number, typeof LoopwindError> = {
  400: BadRequest,
  401: AuthError,
  403: PermissionDenied,
  404: NotFound,
  409: Conflict,
  413: BadRequest,
  422: RenderFailed,
};

/** Seconds from a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** The error for an error response whose body (parsed JSON, or undefined) was already read. */
export function errorFor(status: number, body: unknown, headers: Headers): LoopwindError {
  const raw =
    body && typeof body === 'object' && 'error' in body ? (body as { error: unknown }).error : undefined;
  const error =
    raw && typeof raw === 'object'
      ? (raw as { code?: unknown; message?: unknown; details?: unknown })
      : { code: `http_${status}`, message: `The server answered HTTP ${status}.` };
  const code = typeof error.code === 'string' && error.code ? error.code : `http_${status}`;
  const message = typeof error.message === 'string' && error.message ? error.message : code;
  const details =
    error.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : {};
  const options = { code, status, details, requestId: headers.get('x-request-id') ?? undefined };
  if (status === 429) {
    const Class = code === 'quota_exceeded' ? QuotaExceeded : RateLimited;
    return new Class(message, { ...options, retryAfter: parseRetryAfter(headers.get('retry-after')) });
  }
  if (status >= 500) return new ServerError(message, options);
  const Class = BY_STATUS[status] ?? LoopwindError;
  return new Class(message, options);
}

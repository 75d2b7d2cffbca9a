/**
 * The transport every resource shares: configuration from options or the environment, bearer auth,
 * per-attempt timeouts, AbortSignal, bounded retries on 429 and 503 and the mapping of error bodies
 * to typed errors. Only the platform's fetch is used, so it runs on Node ≥ 18, Deno, Bun, Workers
 * and browsers.
 */
import { ConnectionError, errorFor, parseRetryAfter } from './errors.js';

export const VERSION = '0.1.0';
export const DEFAULT_BASE_URL = 'https://loopwind.dev';
/** The header naming the organization a request acts for. */
export const ACCOUNT_HEADER = 'X-Loopwind-Account';
const RETRY_STATUSES = new Set([429, 503]);

export interface LoopwindOptions {
  /** An API key (`lw_live_…`) or a JWT access token. Default: `LOOPWIND_API_KEY`. */
  apiKey?: string;
  /** Default: `LOOPWIND_API_URL`, else https://loopwind.dev. */
  baseUrl?: string;
  /**
   * An organization to act for (`acme`): every request names it in the `X-Loopwind-Account`
   * header, and keys, usage, templates, renders and publishes are the organization's. It takes a
   * member's session token (`apiKey: session.token`); an organization's own API key acts for it
   * without this. Default: `LOOPWIND_ACCOUNT`; `''` for none.
   */
  account?: string;
  /** Milliseconds one attempt may take, reading the body included (default 60 000). */
  timeout?: number;
  /** How often a 429 (not a spent quota) or a 503 is tried again (default 3). */
  maxRetries?: number;
  /** The longest Retry-After, in milliseconds, worth waiting for (default 30 000); a longer one
   * raises RateLimited / ServerError at once, with `retryAfter`, so the caller decides. */
  maxRetryWait?: number;
  /** A fetch implementation (default: the platform's `fetch`), e.g. to add logging or a proxy. */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Called with the author's message when a render uses a deprecated or yanked template version
   * (default: `console.warn`). */
  onDeprecation?: (message: string, version: string | null) => void;
}

/** Options every method takes as its last argument. */
export interface RequestOptions {
  /** Cancels the request (and any retry wait): the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides the client's per-attempt timeout (ms). */
  timeout?: number;
  /** Overrides the client's retry count. */
  maxRetries?: number;
  /** Extra headers for this request. */
  headers?: Record<string, string>;
}

/** Options of POSTs: the same key and body give the same answer (one job, one render) for 24 hours. */
export interface PostOptions extends RequestOptions {
  idempotencyKey?: string;
}

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  json?: unknown;
  form?: FormData;
  /** No Authorization header: sign-in calls, and output URLs on a CDN that must not see our key. */
  anonymous?: boolean;
  accept?: string;
}

/** A variable from the environment where there is one (Node, Bun, Deno), without importing a
 * Node-only module, so this file also loads in browsers and Workers. */
function envVar(name: string): string | undefined {
  try {
    const process = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
    return process?.env?.[name] || undefined;
  } catch {
    return undefined; // Deno throws on reading a variable without --allow-env
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts when the caller's does, or after `timeout` ms (with a TimeoutError reason).
 * AbortSignal.any and AbortSignal.timeout are not on every platform we support, so by hand. */
export function linkedSignal(signal: AbortSignal | undefined, timeout: number | undefined) {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal!.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer =
    timeout === undefined || timeout === Infinity
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new DOMExceptionLike('The request timed out.', 'TimeoutError'));
        }, timeout);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    /** A stream's body outlives the request: the timeout covered the connection, the caller's
     * signal keeps covering the reading. */
    clearTimer() {
      if (timer !== undefined) clearTimeout(timer);
    },
    done() {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** DOMException exists on every supported platform but not in every TypeScript lib setup. */
class DOMExceptionLike extends Error {
  constructor(message: string, name: string) {
    super(message);
    this.name = name;
  }
}

export class Transport {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  /** The organization requests act for ('' for the caller's own account). */
  readonly account: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly maxRetryWait: number;
  readonly onDeprecation: (message: string, version: string | null) => void;
  private readonly fetchImpl: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(options: LoopwindOptions = {}) {
    this.baseUrl = (options.baseUrl || envVar('LOOPWIND_API_URL') || DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.apiKey = options.apiKey || envVar('LOOPWIND_API_KEY');
    this.account = (options.account ?? envVar('LOOPWIND_ACCOUNT') ?? '').trim().toLowerCase();
    this.timeout = options.timeout ?? 60_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryWait = options.maxRetryWait ?? 30_000;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') {
      throw new TypeError('No fetch on this platform: pass one as new Loopwind({ fetch }).');
    }
    // Called unbound, a browser's fetch throws "Illegal invocation".
    this.fetchImpl = (input, init) => fetchImpl(input, init);
    this.headers = options.headers ?? {};
    this.onDeprecation =
      options.onDeprecation ?? ((message, version) => console.warn(`loopwind: ${version ? `version ${version} ` : ''}deprecated: ${message}`));
  }

  url(call: Pick<Call, 'path' | 'query'>): string {
    const url = new URL(/^https?:\/\//.test(call.path) ? call.path : this.baseUrl + call.path);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  private init(call: Call, options: PostOptions, signal: AbortSignal): RequestInit {
    const headers: Record<string, string> = {
      Accept: call.accept ?? 'application/json',
      ...this.headers,
      ...options.headers,
    };
    if (!call.anonymous && this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    if (!call.anonymous && this.account) headers[ACCOUNT_HEADER] = this.account;
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
    let body: BodyInit | undefined;
    if (call.form) body = call.form; // fetch sets the multipart boundary itself
    else if (call.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(call.json);
    }
    return { method: call.method, headers, body, signal };
  }

  /** Milliseconds to wait before trying again, or undefined to stop. */
  private retryDelay(response: Response, body: unknown, attempt: number, maxRetries: number) {
    if (!RETRY_STATUSES.has(response.status) || attempt >= maxRetries) return undefined;
    const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (code === 'quota_exceeded') return undefined; // waiting a minute will not bring the month back
    const after = parseRetryAfter(response.headers.get('retry-after'));
    if (after !== undefined) return after * 1000 > this.maxRetryWait ? undefined : after * 1000;
    return Math.min(500 * 2 ** attempt, this.maxRetryWait);
  }

  /**
   * Runs a call and hands the successful response to `read` while the attempt's timeout still
   * covers reading its body. Error responses become typed errors; 429 and 503 are retried.
   */
  async request<T>(
    call: Call,
    options: PostOptions,
    read: (response: Response) => Promise<T>,
    { stream = false } = {},
  ): Promise<T> {
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeout = options.timeout ?? this.timeout;
    for (let attempt = 0; ; attempt++) {
      const linked = linkedSignal(options.signal, timeout);
      let keepLinked = false;
      try {
        let response: Response;
        try {
          response = await this.fetchImpl(this.url(call), this.init(call, options, linked.signal));
        } catch (error) {
          throw this.transportError(error, linked.timedOut() ? timeout : undefined, options.signal);
        }
        if (response.ok && stream) {
          linked.clearTimer();
          keepLinked = true;
          return await read(response);
        }
        if (response.ok) {
          try {
            return await read(response);
          } catch (error) {
            throw this.transportError(error, linked.timedOut() ? timeout : undefined, options.signal);
          }
        }
        let body: unknown;
        try {
          body = await response.json();
        } catch (error) {
          if (linked.timedOut() || options.signal?.aborted) {
            throw this.transportError(error, linked.timedOut() ? timeout : undefined, options.signal);
          }
          body = undefined; // not JSON (a proxy's HTML page): the status decides
        }
        const delay = this.retryDelay(response, body, attempt, maxRetries);
        if (delay === undefined) throw errorFor(response.status, body, response.headers);
        linked.done();
        await sleep(delay, options.signal);
      } finally {
        if (!keepLinked) linked.done();
      }
    }
  }

  private transportError(error: unknown, timedOut: number | undefined, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return signal.reason; // the caller's own abort: theirs to handle
    if (timedOut !== undefined) {
      return new ConnectionError(`No answer from ${this.baseUrl} within ${timedOut / 1000} s.`, {
        code: 'timeout',
        cause: error,
      });
    }
    if (error instanceof Error && !(error instanceof TypeError) && error.name !== 'AbortError') {
      return error; // a bug in `read`, or one of our own errors: not a connection problem
    }
    const reason = error instanceof Error ? (error.cause as Error | undefined)?.message || error.message : '';
    return new ConnectionError(`Cannot reach ${this.baseUrl}${reason ? `: ${reason}` : ''}`, {
      code: 'connection_error',
      cause: error,
    });
  }

  /** The response itself, its body unread: for event streams (the caller's signal still aborts it). */
  open(call: Call, options: RequestOptions = {}): Promise<Response> {
    return this.request(call, options, async (response) => response, { stream: true });
  }

  /** The body as bytes, with the response (for its headers). */
  bytes(call: Call, options: PostOptions = {}): Promise<{ data: ArrayBuffer; response: Response }> {
    return this.request(call, options, async (response) => ({ data: await response.arrayBuffer(), response }));
  }

  json<T>(call: Call, options: PostOptions = {}): Promise<T> {
    return this.request(call, options, async (response) => {
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    });
  }
}

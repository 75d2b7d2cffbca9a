/**
 * An async render job: its status, progress over Server-Sent Events (reconnecting after each
 * stream's end, as the server asks, until a final event) with polling as the fallback, `wait()`,
 * `cancel()`, `refresh()` and `download()`.
 */
import { linkedSignal, sleep, type RequestOptions, type Transport } from './core.js';
import { JobCancelled, LoopwindError, RenderFailed, WaitTimeout } from './errors.js';
import { readEvents, createSseParser } from './sse.js';
import { FINAL_STATES, type JobAccepted, type JobState, type JobStatus } from './types.js';

const EVENTS = new Set(['progress', 'completed', 'failed', 'cancelled']);
/** Streams that end without telling anything, in a row, before polling takes over. */
const MAX_EMPTY_STREAMS = 3;

export interface UpdatesOptions {
  signal?: AbortSignal;
  /** `false` polls instead of reading the event stream (default `true`; polling is also the fallback
   * when a platform or a proxy cannot stream). */
  stream?: boolean;
}

export interface WaitOptions extends UpdatesOptions {
  /** Called with the job at each change of status or frame. */
  onProgress?: (job: Job) => void;
  /** Milliseconds before `WaitTimeout` (default 600 000; `Infinity` waits for ever). */
  timeout?: number;
}

/** Thrown inside the stream reader when the stream cannot be used: poll instead. */
class StreamUnavailable extends Error {}

function isApiRefusal(error: unknown): boolean {
  // A 4xx other than 429 is an answer (no such job, wrong key): polling would get the same.
  return (
    error instanceof LoopwindError &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 429
  );
}

/** Job statuses from `GET /api/render/{id}/events`, across reconnects, until a final event. */
export function jobEvents(transport: Transport, jobId: string, options: RequestOptions = {}): AsyncGenerator<JobStatus> {
  return followEvents<JobStatus>(transport, `/api/render/${encodeURIComponent(jobId)}/events`, EVENTS, options);
}

/**
 * The data of each event named in `names` from an event stream at `path` (a job's, a batch's),
 * across reconnects, until an event other than `progress`.
 */
export async function* followEvents<T>(
  transport: Transport,
  path: string,
  names: ReadonlySet<string>,
  options: RequestOptions = {},
): AsyncGenerator<T> {
  const { signal } = options;
  let empty = 0;
  for (;;) {
    let response: Response;
    try {
      response = await transport.open(
        { method: 'GET', path, accept: 'text/event-stream, */*;q=0.1' }, // the server negotiates JSON only
        options,
      );
    } catch (error) {
      if (signal?.aborted || isApiRefusal(error)) throw error;
      throw new StreamUnavailable(String(error));
    }
    const type = response.headers.get('content-type') ?? '';
    if (!response.body || !type.startsWith('text/event-stream')) {
      await response.body?.cancel().catch(() => undefined);
      throw new StreamUnavailable(`not an event stream: ${type}`);
    }
    const parser = createSseParser();
    let told = false;
    try {
      for await (const event of readEvents(response.body, parser, signal)) {
        if (!names.has(event.event)) continue;
        told = true;
        yield JSON.parse(event.data) as T;
        if (event.event !== 'progress') return;
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof SyntaxError) throw error;
      // the connection broke mid-stream: reconnect like the end of a stream
    }
    empty = told ? 0 : empty + 1;
    if (empty >= MAX_EMPTY_STREAMS) throw new StreamUnavailable('the event stream keeps ending empty');
    // Each stream ends after SSE_STREAM_SECONDS without a final event, with a retry hint: reconnect.
    await sleep(parser.retry ?? 1000, signal);
  }
}

function* pollDelays(): Generator<number> {
  let delay = 500;
  for (;;) {
    yield delay;
    delay = Math.min(delay * 1.5, 5000);
  }
}

export class Job implements AsyncIterable<JobStatus> {
  /** Everything the server said about the job, newest values last merged in. */
  data: Partial<JobStatus> & Partial<JobAccepted> & { jobId: string; status: string };

  constructor(
    private readonly transport: Transport,
    data: JobAccepted | JobStatus,
  ) {
    this.data = { ...data };
  }

  get id(): string {
    return this.data.jobId;
  }
  get status(): JobState {
    return this.data.status as JobState;
  }
  get progress(): number {
    return this.data.progress ?? 0;
  }
  get currentFrame(): number {
    return this.data.currentFrame ?? 0;
  }
  get totalFrames(): number {
    return this.data.totalFrames ?? 0;
  }
  /** The output's URL once completed (valid until `expiresAt`, 24 h). */
  get outputUrl(): string | null {
    return this.data.outputUrl ?? null;
  }
  get expiresAt(): string | null {
    return this.data.expiresAt ?? null;
  }
  get error(): { code: string; message: string } | null {
    return this.data.error ?? null;
  }
  get done(): boolean {
    return FINAL_STATES.includes(this.data.status);
  }

  private update(data: Partial<JobStatus>): this {
    Object.assign(this.data, data);
    return this;
  }

  /** Fetch the current status (returns the job). */
  async refresh(options: RequestOptions = {}): Promise<this> {
    const data = await this.transport.json<JobStatus>(
      { method: 'GET', path: `/api/render/${encodeURIComponent(this.id)}` },
      options,
    );
    return this.update(data);
  }

  /** Ask the server to cancel (returns the job; a job already finished stays as it was). */
  async cancel(options: RequestOptions = {}): Promise<this> {
    const data = await this.transport.json<JobStatus>(
      { method: 'DELETE', path: `/api/render/${encodeURIComponent(this.id)}` },
      options,
    );
    return this.update(data);
  }

  /** The output's bytes (after `wait()`). The URL is signed: our key is not sent with it. */
  async download(options: RequestOptions = {}): Promise<ArrayBuffer> {
    if (!this.outputUrl) {
      throw new LoopwindError(`Job ${this.id} has no output (status ${this.status}).`, { code: 'no_output' });
    }
    const { data } = await this.transport.bytes(
      { method: 'GET', path: this.outputUrl, anonymous: true, accept: '*/*' },
      options,
    );
    return data;
  }

  /**
   * Each change of status or frame until the job ends: from the event stream, or by polling when
   * the stream is not available. `for await (const update of job)` does the same.
   */
  async *updates(options: UpdatesOptions = {}): AsyncGenerator<JobStatus> {
    let last: string | undefined;
    const fresh = () => {
      const key = `${this.data.status}/${this.data.currentFrame ?? 0}`;
      const changed = key !== last;
      last = key;
      return changed;
    };
    if (this.done) {
      fresh();
      yield this.data as JobStatus;
      return;
    }
    if (options.stream !== false) {
      try {
        for await (const status of jobEvents(this.transport, this.id, { signal: options.signal })) {
          this.update(status);
          if (fresh()) yield this.data as JobStatus;
          if (this.done) return;
        }
      } catch (error) {
        if (!(error instanceof StreamUnavailable)) throw error;
      }
    }
    const delays = pollDelays();
    for (let first = true; ; first = false) {
      if (!first) await sleep(delays.next().value as number, options.signal);
      await this.refresh({ signal: options.signal });
      if (fresh()) yield this.data as JobStatus;
      if (this.done) return;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<JobStatus> {
    return this.updates();
  }

  /**
   * Resolves with the job once it completed (`job.outputUrl`); rejects with RenderFailed when it
   * failed, JobCancelled when cancelled, WaitTimeout after `timeout` ms, or the signal's reason.
   */
  async wait(options: WaitOptions = {}): Promise<this> {
    const timeout = options.timeout ?? 600_000;
    const linked = linkedSignal(options.signal, timeout);
    try {
      for await (const _ of this.updates({ signal: linked.signal, stream: options.stream })) {
        options.onProgress?.(this);
      }
    } catch (error) {
      if (linked.timedOut() && !options.signal?.aborted) {
        throw new WaitTimeout(
          `Job ${this.id} did not finish within ${timeout / 1000} s (status ${this.status}).`,
          { code: 'wait_timeout', details: { jobId: this.id } },
        );
      }
      throw error;
    } finally {
      linked.done();
    }
    return this.check();
  }

  private check(): this {
    if (this.status === 'failed') {
      throw new RenderFailed(this.error?.message || 'The render failed.', {
        code: this.error?.code || 'render_failed',
        details: { jobId: this.id },
      });
    }
    if (this.status === 'cancelled') {
      throw new JobCancelled(`Job ${this.id} was cancelled.`, { code: 'cancelled', details: { jobId: this.id } });
    }
    return this;
  }

  toJSON() {
    return this.data;
  }
}

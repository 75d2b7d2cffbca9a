/**
 * Verify loopwind.dev webhooks: the Standard Webhooks scheme (webhook-id, webhook-timestamp,
 * webhook-signature `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the decoded
 * `whsec_` secret, several space-separated signatures during a rotation, a 5-minute tolerance).
 * Web Crypto only, so it runs on Node, Deno, Bun, Workers and in browsers; interoperates with the
 * `standardwebhooks` package and the Python SDK's `loopwind.webhooks`.
 */
import { WebhookVerificationError } from './errors.js';

export const DEFAULT_TOLERANCE = 300;

/** What loopwind.dev posts to a job's `webhook` URL. */
export interface RenderWebhookPayload {
  event: 'render.completed' | 'render.failed' | (string & {});
  jobId: string;
  status: string;
  /** The output (valid 24 h) when completed. */
  outputUrl: string | null;
  template: string;
  format: string;
  /** Render time in ms. */
  duration: number | null;
  timestamp: string;
  error?: { code: string; message: string };
}

/** A Fetch `Headers`, or a plain object such as Node's / Express's `req.headers`. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Seconds a timestamp may be away from now (default 300). */
  tolerance?: number;
  /** Web Crypto, when the platform has none on `globalThis.crypto` (Node 18: `(await import('node:crypto')).webcrypto`). */
  crypto?: { readonly subtle: object }; // typed loosely: `Crypto` is a DOM type a Node project may lack
  /** "Now" in seconds, for tests. */
  now?: number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

// No return annotation: TypeScript infers a Uint8Array over an ArrayBuffer, which Web Crypto requires.
function base64Bytes(text: string) {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

function bodyBytes(payload: string | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (typeof payload === 'string') return new TextEncoder().encode(payload);
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
}

/**
 * The parsed JSON payload if the headers prove the secret's holder sent it, else
 * WebhookVerificationError (`missing_headers`, `bad_timestamp`, `stale_timestamp`, `bad_signature`,
 * `bad_secret`). Pass the raw body exactly as received: parsing and re-serializing it breaks the
 * signature.
 */
export async function verify<T = RenderWebhookPayload>(
  payload: string | ArrayBuffer | ArrayBufferView,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyOptions = {},
): Promise<T> {
  const id = header(headers, 'webhook-id');
  const stamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !stamp || !signatures) {
    throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature.', {
      code: 'missing_headers',
    });
  }
  if (!/^\d+$/.test(stamp.trim())) {
    throw new WebhookVerificationError('webhook-timestamp is not a number.', { code: 'bad_timestamp' });
  }
  const timestamp = Number(stamp);
  const now = options.now ?? Date.now() / 1000;
  if (Math.abs(now - timestamp) > (options.tolerance ?? DEFAULT_TOLERANCE)) {
    throw new WebhookVerificationError('The webhook timestamp is too old or in the future.', {
      code: 'stale_timestamp',
    });
  }
  const keyBytes = base64Bytes(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  if (!keyBytes?.length) {
    throw new WebhookVerificationError('The webhook secret is not a whsec_ base64 secret.', { code: 'bad_secret' });
  }
  const subtle = (options.crypto ?? (globalThis as { crypto?: Crypto }).crypto)?.subtle as SubtleCrypto | undefined;
  if (!subtle) {
    throw new WebhookVerificationError(
      'No Web Crypto here: pass { crypto } (on Node 18, the webcrypto export of node:crypto).',
      { code: 'no_webcrypto' },
    );
  }
  const key = await subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const body = bodyBytes(payload);
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const signature = base64Bytes(value);
    // subtle.verify compares in constant time
    if (signature && (await subtle.verify('HMAC', key, signature, signed))) {
      return JSON.parse(new TextDecoder().decode(body)) as T;
    }
  }
  throw new WebhookVerificationError('No webhook signature matches the secret.', { code: 'bad_signature' });
}

/** `webhooks.verify(payload, headers, secret)`. */
export const webhooks = { verify };

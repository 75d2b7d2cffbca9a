/**
 * `@loopwind/sdk`: the loopwind.dev API for TypeScript and JavaScript.
 *
 *     import { Loopwind } from '@loopwind/sdk';
 *     const lw = new Loopwind({ apiKey: 'lw_live_…' });
 *     const image = await lw.render('username/og-card', { props: { title: 'Hello World' }, format: 'png' });
 *
 * Nothing here imports a Node-only module: the same entry runs on Node ≥ 18, Deno, Bun, Cloudflare
 * Workers and in browsers. Reading a template folder from disk is in `@loopwind/sdk/node`.
 */
export { Loopwind } from './client.js';
export type {
  AnalyticsQuery,
  FileContent,
  PublishOptions,
  RenderBatchOptions,
  RenderOptions,
  RenderResult,
  RenderVideoOptions,
  SignOptions,
  TemplateFiles,
} from './client.js';
export { ACCOUNT_HEADER, DEFAULT_BASE_URL, VERSION } from './core.js';
export type { LoopwindOptions, PostOptions, RequestOptions } from './core.js';
export {
  APIConnectionError,
  AuthError,
  BadRequest,
  Conflict,
  ConnectionError,
  JobCancelled,
  LoopwindError,
  NotFound,
  PermissionDenied,
  QuotaExceeded,
  RateLimited,
  RenderFailed,
  ServerError,
  ValidationError,
  WaitTimeout,
  WebhookVerificationError,
} from './errors.js';
export { Job } from './job.js';
export type { UpdatesOptions, WaitOptions } from './job.js';
export { createSseParser } from './sse.js';
export type { ServerSentEvent } from './sse.js';
export type * from './types.js';
export { verify as verifyWebhook, webhooks } from './webhooks.js';
export type { RenderWebhookPayload, VerifyOptions, WebhookHeaders } from './webhooks.js';

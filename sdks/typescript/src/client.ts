/**
 * `new Loopwind({ apiKey })`: renders, signed URLs, jobs, and one resource per part of the API
 * (every operation of /api/schema has a method; test/operations.test.mjs holds the list to it).
 */
import { Transport, type Call, type LoopwindOptions, type PostOptions, type RequestOptions } from './core.js';
import { Job, followEvents, jobEvents } from './job.js';
import type {
  ApiKey,
  ApiKeyCreated,
  AuditEvent,
  BatchAccepted,
  BatchStatus,
  BatchSummary,
  AnalyticsReport,
  ApiErrorRecord,
  CustomDomain,
  DeviceAuthorization,
  ImageFormat,
  Invitation,
  InvitationCreated,
  JobAccepted,
  JobFormat,
  JobStatus,
  MyOrg,
  NewOrg,
  Org,
  OrgMember,
  OrgUpdate,
  PreflightWarning,
  ProfileUpdate,
  Published,
  Role,
  Session,
  SignedUrl,
  SigningSecret,
  StarState,
  Template,
  TemplateDetail,
  TemplateListQuery,
  TemplatePage,
  TemplateUpdate,
  TokenPair,
  UrlResult,
  Usage,
  User,
  UserProfile,
  Version,
  WebhookDelivery,
  WebhookSecret,
} from './types.js';
import { verify, type RenderWebhookPayload, type VerifyOptions, type WebhookHeaders } from './webhooks.js';

export interface RenderOptions extends PostOptions {
  props?: Record<string, unknown>;
  /** png (default), jpg, webp, svg or pdf. */
  format?: ImageFormat;
  /** 1–4: pixel density. */
  scale?: number;
  /** 1–100 for jpg and webp. */
  quality?: number;
  /** A published version, default the latest. */
  version?: string;
}

export interface RenderResult {
  data: ArrayBuffer;
  contentType: string;
  renderId: string;
  /** Whether the render cache answered (`X-Render-Cache`). */
  cache: 'HIT' | 'MISS';
  /** Server-side render time in ms (`X-Render-Duration`). */
  durationMs: number;
  /** The author's message when the version rendered is deprecated or yanked, else null. */
  deprecation: string | null;
}

export type SignOptions = Omit<RenderOptions, 'quality' | 'idempotencyKey'> &
  PostOptions & {
    /** A verified custom domain of yours (og.example.com): the URL is on it. Your own templates only. */
    domain?: string;
  };

export interface RenderVideoOptions extends PostOptions {
  props?: Record<string, unknown>;
  /** mp4 (default), gif or webm; an image format renders one image as a job. */
  format?: JobFormat;
  scale?: number;
  quality?: number;
  version?: string;
  /** A URL that receives `render.completed` / `render.failed` (Standard Webhooks signed). */
  webhook?: string;
}

/** A bundle file's content. */
export type FileContent = Blob | ArrayBuffer | ArrayBufferView | string;
/** A template's files by path in the bundle (`{"loopwind.json": …, "template.html": …}`), or `File`s
 * (their `webkitRelativePath` without the top folder, else their name, is the path). */
export type TemplateFiles = Record<string, FileContent> | Map<string, FileContent> | Iterable<File>;

export interface PublishOptions extends PostOptions {
  name?: string;
  version?: string;
  description?: string;
  /** Left out, a new version keeps the template's visibility (a new template is public). */
  private?: boolean;
  tags?: string[];
  meta?: Record<string, unknown>;
  /** Validate and render the preview, publish nothing. */
  dryRun?: boolean;
  /** A .zip or .tar.gz of the template instead of files. */
  bundle?: Blob;
  /** Publish to this organization (you must be a member); a manifest name `acme/name` does too. */
  owner?: string;
}

/** `username/name` → `/api/templates/username/name`. */
export function slugPath(slug: string): string {
  const parts = slug.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new TypeError(`A template is named username/name, not ${JSON.stringify(slug)}.`);
  }
  return `/api/templates/${parts.map(encodeURIComponent).join('/')}`;
}

function toBlob(content: FileContent): Blob {
  if (content instanceof Blob) return content;
  // Copy views into a plain ArrayBuffer: Blob parts typed over SharedArrayBuffer are refused.
  if (typeof content === 'string') return new Blob([content]);
  const bytes =
    content instanceof ArrayBuffer
      ? new Uint8Array(content)
      : new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
  return new Blob([bytes.slice()]);
}

function fileEntries(files: TemplateFiles): [string, Blob][] {
  if (files instanceof Map) return [...files].map(([path, content]) => [path, toBlob(content)]);
  if (typeof (files as Iterable<File>)[Symbol.iterator] === 'function') {
    return [...(files as Iterable<File>)].map((file) => {
      const relative = (file as File & { webkitRelativePath?: string }).webkitRelativePath;
      const path = relative ? relative.split('/').slice(1).join('/') : file.name;
      return [path, file];
    });
  }
  return Object.entries(files as Record<string, FileContent>).map(([path, content]) => [path, toBlob(content)]);
}

function renderBody(template: string, options: object, fields: string[]) {
  const body: Record<string, unknown> = { template, props: (options as { props?: unknown }).props ?? {} };
  for (const field of fields) {
    const value = (options as Record<string, unknown>)[field];
    if (value !== undefined) body[field] = value;
  }
  return body;
}

function requestOptions(options: PostOptions): PostOptions {
  const { signal, timeout, maxRetries, headers, idempotencyKey } = options;
  return { signal, timeout, maxRetries, headers, idempotencyKey };
}

abstract class Resource {
  constructor(protected readonly transport: Transport) {}

  protected json<T>(call: Call, options: PostOptions = {}): Promise<T> {
    return this.transport.json<T>(call, requestOptions(options));
  }
}

export class Templates extends Resource {
  /** One page of the registry: `{ templates, total, page, pages }`; `category` is a marketplace category slug. */
  list(query: TemplateListQuery & { tags?: string | string[] } = {}, options: RequestOptions = {}) {
    const { tags, ...rest } = query;
    const all = { ...rest, tags: Array.isArray(tags) ? tags.join(',') : tags };
    return this.json<TemplatePage>({ method: 'GET', path: '/api/templates', query: all }, options);
  }

  /** The templates matching `q`, most relevant first (the first page). */
  async search(q: string, filters: Omit<TemplateListQuery, 'q'> & { tags?: string | string[] } = {}, options: RequestOptions = {}): Promise<Template[]> {
    const page = await this.list({ sort: 'relevance', ...filters, q }, options);
    return page.templates;
  }

  /** A template with its files (URLs and checksums), stats and preview. */
  get(slug: string, query: { version?: string } = {}, options: RequestOptions = {}) {
    return this.json<TemplateDetail>({ method: 'GET', path: slugPath(slug), query }, options);
  }

  /** Edit your template's description, tags, category or visibility. */
  update(slug: string, changes: TemplateUpdate, options: RequestOptions = {}) {
    return this.json<TemplateDetail>({ method: 'PATCH', path: slugPath(slug), json: changes }, options);
  }

  /** Unpublish: the template and all its versions disappear for everyone. */
  async unpublish(slug: string, options: RequestOptions = {}): Promise<void> {
    await this.json<void>({ method: 'DELETE', path: slugPath(slug) }, options);
  }

  /** The versions, newest first. */
  versions(slug: string, options: RequestOptions = {}) {
    return this.json<Version[]>({ method: 'GET', path: `${slugPath(slug)}/versions` }, options);
  }

  /** Mark a version deprecated with a message (an empty message clears it): never "latest" while
   * deprecated; whoever renders it by number is shown the message. */
  deprecate(slug: string, version: string, message: string, options: RequestOptions = {}) {
    const path = `${slugPath(slug)}/versions/${encodeURIComponent(version)}`;
    return this.json<Version>({ method: 'PATCH', path, json: { deprecated: message } }, options);
  }

  /** Yank (withdraw) a version, or take the yank back with `{ yanked: false }`: never "latest"
   * while yanked; URLs and jobs pinned to it still render, with a warning. */
  yank(slug: string, version: string, { reason = '', yanked = true }: { reason?: string; yanked?: boolean } = {}, options: RequestOptions = {}) {
    const path = `${slugPath(slug)}/versions/${encodeURIComponent(version)}`;
    return this.json<Version>({ method: 'PATCH', path, json: { yanked, reason } }, options);
  }

  /** The bundle as a zip. */
  async download(slug: string, query: { version?: string } = {}, options: RequestOptions = {}): Promise<ArrayBuffer> {
    const call: Call = { method: 'GET', path: `${slugPath(slug)}/download`, query, accept: '*/*' };
    return (await this.transport.bytes(call, requestOptions(options))).data;
  }

  /**
   * Publish a template from its files (`{ path: File | Blob | bytes | string }`) or a `bundle`
   * archive. On Node, `publishFolder` from `@loopwind/sdk/node` reads a folder for you.
   */
  publish(files: TemplateFiles | undefined, options: PublishOptions = {}) {
    const form = new FormData();
    for (const [path, blob] of files ? fileEntries(files) : []) form.append('files', blob, path);
    if (options.bundle) {
      // the server tells a zip from a tar.gz by the extension, else by the first bytes
      form.append('bundle', options.bundle, (options.bundle as { name?: string }).name || 'bundle');
    }
    for (const field of ['name', 'version', 'description', 'owner'] as const) {
      if (options[field] !== undefined) form.append(field, options[field]!);
    }
    if (options.private !== undefined) form.append('private', String(options.private));
    form.append('dryRun', String(Boolean(options.dryRun)));
    for (const tag of options.tags ?? []) form.append('tags', tag);
    if (options.meta !== undefined) form.append('meta', JSON.stringify(options.meta));
    return this.json<Published>({ method: 'POST', path: '/api/templates/publish', form }, options);
  }

  /**
   * Preflight a template's files before publishing: warnings such as `missing_glyph`, `image_unavailable`,
   * `font_missing`, `text_overflow`, `low_contrast`, `unsupported_class` and `off_canvas`. Nothing is stored or charged.
   */
  async lint(files: TemplateFiles | undefined, options: PostOptions & { bundle?: Blob } = {}): Promise<PreflightWarning[]> {
    const form = new FormData();
    for (const [path, blob] of files ? fileEntries(files) : []) form.append('files', blob, path);
    if (options.bundle) form.append('bundle', options.bundle, (options.bundle as { name?: string }).name || 'bundle');
    const out = await this.json<{ warnings: PreflightWarning[] }>({ method: 'POST', path: '/api/templates/lint', form }, options);
    return out.warnings;
  }
}

export class Stars extends Resource {
  /** Star a template: `{ starred, stars }`. */
  add(slug: string, options: PostOptions = {}) {
    return this.json<StarState>({ method: 'POST', path: `${slugPath(slug)}/star` }, options);
  }

  remove(slug: string, options: RequestOptions = {}) {
    return this.json<StarState>({ method: 'DELETE', path: `${slugPath(slug)}/star` }, options);
  }
}

export class Users extends Resource {
  /** A public profile with the user's public templates. */
  get(username: string, options: RequestOptions = {}) {
    return this.json<UserProfile>({ method: 'GET', path: `/api/users/${encodeURIComponent(username)}` }, options);
  }
}

export class Me extends Resource {
  /** The caller's profile and plan. */
  get(options: RequestOptions = {}) {
    return this.json<User>({ method: 'GET', path: '/api/me' }, options);
  }

  /** Change `name`, `bio` or `avatarUrl` (needs the keys:manage scope with an API key). */
  update(changes: ProfileUpdate, options: RequestOptions = {}) {
    return this.json<User>({ method: 'PATCH', path: '/api/me', json: changes }, options);
  }

  /** Your templates, private ones included. */
  templates(options: RequestOptions = {}) {
    return this.json<Template[]>({ method: 'GET', path: '/api/me/templates' }, options);
  }
}

export class UsageResource extends Resource {
  /** This month's renders, publishes and templates against the plan, and the reset date. */
  get(options: RequestOptions = {}) {
    return this.json<Usage>({ method: 'GET', path: '/api/me/usage' }, options);
  }
}

export class Keys extends Resource {
  list(options: RequestOptions = {}) {
    return this.json<ApiKey[]>({ method: 'GET', path: '/api/keys' }, options);
  }

  /** A new key; its `key` is shown this once. */
  create(name: string, body: { scopes?: string[] } = {}, options: PostOptions = {}) {
    return this.json<ApiKeyCreated>({ method: 'POST', path: '/api/keys', json: { name, ...body } }, options);
  }

  async revoke(id: string, options: RequestOptions = {}): Promise<void> {
    await this.json<void>({ method: 'DELETE', path: `/api/keys/${encodeURIComponent(id)}` }, options);
  }
}

export interface AnalyticsQuery {
  /** minute, hour or day (default day; minute and hour need Business). */
  interval?: 'minute' | 'hour' | 'day';
  /** One series per route, template, key, status, format or cache outcome. */
  groupBy?: 'route' | 'template' | 'key' | 'status' | 'format' | 'cache';
  /** ISO 8601 date or date-time, or a Date (the API's `from`, inclusive). */
  from?: string | Date;
  /** ISO 8601 date or date-time, or a Date (exclusive). */
  to?: string | Date;
}

function analyticsQuery(query: AnalyticsQuery): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) out[name] = value instanceof Date ? value.toISOString() : String(value);
  }
  return out;
}

/** Your API traffic over time, and your recent errors. */
export class Analytics extends Resource {
  /** Requests, errors, renders and p50/p95 latency per period: `{ from, to, interval, groupBy, totals, series }`. */
  get(query: AnalyticsQuery = {}, options: RequestOptions = {}) {
    return this.json<AnalyticsReport>({ method: 'GET', path: '/api/analytics', query: analyticsQuery(query) }, options);
  }

  /** The same series as CSV: one row per group and period. */
  async csv(query: AnalyticsQuery = {}, options: RequestOptions = {}): Promise<string> {
    const call: Call = { method: 'GET', path: '/api/analytics', query: analyticsQuery(query), accept: 'text/csv' };
    return new TextDecoder().decode((await this.transport.bytes(call, requestOptions(options))).data);
  }

  /** Your most recent error answers, newest first, each with its request id. */
  async errors(query: { limit?: number; before?: string | Date } = {}, options: RequestOptions = {}): Promise<ApiErrorRecord[]> {
    const params: Record<string, string> = {};
    if (query.limit !== undefined) params.limit = String(query.limit);
    if (query.before !== undefined) params.before = query.before instanceof Date ? query.before.toISOString() : query.before;
    const body = await this.json<{ errors: ApiErrorRecord[] }>({ method: 'GET', path: '/api/analytics/errors', query: params }, options);
    return body.errors;
  }
}

/** Custom domains (Business): og.example.com serving your signed image URLs. */
export class Domains extends Resource {
  /** Your domains, their status and the DNS records each needs. */
  list(options: RequestOptions = {}) {
    return this.json<CustomDomain[]>({ method: 'GET', path: '/api/domains' }, options);
  }

  /** Add a domain: its `records` are the CNAME and TXT records to create; then `verify`. */
  add(domain: string, options: PostOptions = {}) {
    return this.json<CustomDomain>({ method: 'POST', path: '/api/domains', json: { domain } }, options);
  }

  /** Look its records up now: `status` verified, or failed with `failureReason` and `failureMessage`. */
  verify(id: string, options: PostOptions = {}) {
    return this.json<CustomDomain>({ method: 'POST', path: `/api/domains/${encodeURIComponent(id)}/verify` }, options);
  }

  /** Remove a domain: image URLs on it stop loading. */
  async remove(id: string, options: RequestOptions = {}): Promise<void> {
    await this.json<void>({ method: 'DELETE', path: `/api/domains/${encodeURIComponent(id)}` }, options);
  }
}

export class Jobs extends Resource {
  /** The job with this id, fetched now. */
  async get(id: string, options: RequestOptions = {}): Promise<Job> {
    const data = await this.json<JobStatus>({ method: 'GET', path: `/api/render/${encodeURIComponent(id)}` }, options);
    return new Job(this.transport, data);
  }

  /** Cancel a queued or running job. */
  async cancel(id: string, options: RequestOptions = {}): Promise<Job> {
    const data = await this.json<JobStatus>({ method: 'DELETE', path: `/api/render/${encodeURIComponent(id)}` }, options);
    return new Job(this.transport, data);
  }

  /** The job's statuses from its event stream (reconnecting until a final event). */
  events(id: string, options: RequestOptions = {}): AsyncGenerator<JobStatus> {
    return jobEvents(this.transport, id, requestOptions(options));
  }
}

export interface RenderBatchOptions extends PostOptions {
  /** One props object per row; a `filename` key names the row's output. */
  rows?: Record<string, unknown>[];
  /** Or a CSV whose header names the props (and optionally `filename`): text, bytes or a Blob. */
  csv?: Blob | ArrayBuffer | ArrayBufferView | string;
  /** png (default), jpg, webp, svg or pdf. */
  format?: ImageFormat;
  scale?: number;
  version?: string;
  /** `reject` (default: a 400 listing every bad row) or `skip` (render the valid rows only). */
  onInvalid?: 'reject' | 'skip';
  /** A URL that receives `render.batch.completed`. */
  webhook?: string;
}

const BATCH_EVENTS = new Set(['progress', 'completed', 'cancelled']);

export class Batches extends Resource {
  /** A batch's progress (`done`, `failed`, `remaining`) and one page of its rows with their output URLs. */
  get(id: string, query: { page?: number; limit?: number } = {}, options: RequestOptions = {}) {
    return this.json<BatchStatus>({ method: 'GET', path: `/api/render/batch/${encodeURIComponent(id)}`, query }, options);
  }

  /** Stop the rows not yet rendered; the rendered ones stay. */
  cancel(id: string, options: PostOptions = {}) {
    return this.json<BatchSummary>({ method: 'POST', path: `/api/render/batch/${encodeURIComponent(id)}/cancel` }, options);
  }

  /**
   * The batch's progress from its event stream (`GET /api/render/batch/{id}/events`): its state at
   * once, again as rows finish (`done`, `failed`, `remaining`), last with status `completed` or
   * `cancelled`; reconnecting after each stream's end until then.
   */
  events(id: string, options: RequestOptions = {}): AsyncGenerator<BatchSummary> {
    const path = `/api/render/batch/${encodeURIComponent(id)}/events`;
    return followEvents<BatchSummary>(this.transport, path, BATCH_EVENTS, requestOptions(options));
  }

  /** Every rendered row's output (and manifest.csv) in one zip. */
  async zip(id: string, options: RequestOptions = {}): Promise<ArrayBuffer> {
    const call: Call = { method: 'GET', path: `/api/render/batch/${encodeURIComponent(id)}/zip`, accept: '*/*' };
    return (await this.transport.bytes(call, requestOptions(options))).data;
  }

  /** The CSV manifest: row, filename, url, status, error. */
  async manifest(id: string, options: RequestOptions = {}): Promise<string> {
    const call: Call = { method: 'GET', path: `/api/render/batch/${encodeURIComponent(id)}/manifest.csv`, accept: '*/*' };
    return new TextDecoder().decode((await this.transport.bytes(call, requestOptions(options))).data);
  }
}

export class Webhooks extends Resource {
  /** Deliveries with every attempt (`attemptLog`), newest first. */
  deliveries(options: RequestOptions = {}) {
    return this.json<WebhookDelivery[]>({ method: 'GET', path: '/api/webhooks/deliveries' }, options);
  }

  /** Send a delivery again (same webhook-id). */
  redeliver(id: string, options: PostOptions = {}) {
    const path = `/api/webhooks/deliveries/${encodeURIComponent(id)}/redeliver`;
    return this.json<WebhookDelivery>({ method: 'POST', path }, options);
  }

  /** Your `whsec_` signing secret. */
  secret(options: RequestOptions = {}) {
    return this.json<WebhookSecret>({ method: 'GET', path: '/api/webhooks/secret' }, options);
  }

  /** A new signing secret (the old one stops verifying). */
  rotateSecret(options: PostOptions = {}) {
    return this.json<WebhookSecret>({ method: 'POST', path: '/api/webhooks/secret' }, options);
  }

  /** The same as the package's `webhooks.verify`. */
  verify<T = RenderWebhookPayload>(payload: string | ArrayBuffer | ArrayBufferView, headers: WebhookHeaders, secret: string, options?: VerifyOptions) {
    return verify<T>(payload, headers, secret, options);
  }
}

export class Billing extends Resource {
  /** A Stripe Checkout URL for `pro` or `business`. */
  checkout(plan: string, options: PostOptions = {}) {
    return this.json<UrlResult>({ method: 'POST', path: '/api/billing/checkout', json: { plan } }, options);
  }

  /** A Stripe Billing Portal URL. */
  portal(options: PostOptions = {}) {
    return this.json<UrlResult>({ method: 'POST', path: '/api/billing/portal' }, options);
  }
}

function orgPath(slug: string, ...rest: string[]): string {
  return ['/api/orgs', slug, ...rest].map((part, i) => (i === 0 ? part : encodeURIComponent(part))).join('/');
}

/**
 * Organizations: accounts (`acme` in `acme/og-card`) owning templates, keys, usage and a plan, with
 * members as owner, admin or member. These calls are a person's (a session token or a personal key);
 * to act *for* an organization, create the client with `{ account: 'acme' }`.
 */
export class Orgs extends Resource {
  /** The organizations you belong to, with your role in each. */
  list(options: RequestOptions = {}) {
    return this.json<MyOrg[]>({ method: 'GET', path: '/api/me/orgs' }, options);
  }

  /** A new organization with you as owner (on Free, one seat, until it has Business). */
  create(body: NewOrg, options: PostOptions = {}) {
    return this.json<Org>({ method: 'POST', path: '/api/orgs', json: body }, options);
  }

  /** Its profile, `plan`, `seats`, `seatsUsed` and your `role` (404 unless you are a member). */
  get(slug: string, options: RequestOptions = {}) {
    return this.json<Org>({ method: 'GET', path: orgPath(slug) }, options);
  }

  /** Change its `name`, `bio` or `avatarUrl` (admins and owners). */
  update(slug: string, changes: OrgUpdate, options: RequestOptions = {}) {
    return this.json<Org>({ method: 'PATCH', path: orgPath(slug), json: changes }, options);
  }

  /** Delete it with its templates, renders and usage; its keys are revoked first (owners only). */
  async delete(slug: string, options: RequestOptions = {}): Promise<void> {
    await this.json<void>({ method: 'DELETE', path: orgPath(slug) }, options);
  }

  /** Every member with their role. */
  members(slug: string, options: RequestOptions = {}) {
    return this.json<OrgMember[]>({ method: 'GET', path: orgPath(slug, 'members') }, options);
  }

  /** Make a member owner, admin or member (owners only; the last owner stays one). */
  setRole(slug: string, username: string, role: Role, options: RequestOptions = {}) {
    return this.json<OrgMember>({ method: 'PATCH', path: orgPath(slug, 'members', username), json: { role } }, options);
  }

  /** Remove a member, or leave with your own username (the last owner cannot). */
  async removeMember(slug: string, username: string, options: RequestOptions = {}): Promise<void> {
    await this.json<void>({ method: 'DELETE', path: orgPath(slug, 'members', username) }, options);
  }

  /** Email an invitation: a link that works once, for 7 days, for that address only (admins and owners). */
  invite(slug: string, email: string, body: { role?: Role } = {}, options: PostOptions = {}) {
    const json = { email, role: body.role ?? 'member' };
    return this.json<InvitationCreated>({ method: 'POST', path: orgPath(slug, 'invitations'), json }, options);
  }

  /** Pending invitations (admins and owners). */
  invitations(slug: string, options: RequestOptions = {}) {
    return this.json<Invitation[]>({ method: 'GET', path: orgPath(slug, 'invitations') }, options);
  }

  /** Revoke a pending invitation: its link stops working. */
  async revokeInvitation(slug: string, id: string, options: RequestOptions = {}): Promise<void> {
    await this.json<void>({ method: 'DELETE', path: orgPath(slug, 'invitations', id) }, options);
  }

  /** Accept an invitation with the token from its link (signed in as the invited address). */
  acceptInvitation(slug: string, token: string, options: PostOptions = {}) {
    return this.json<MyOrg>({ method: 'POST', path: orgPath(slug, 'invitations', token, 'accept') }, options);
  }

  /** The audit log, newest first (admins and owners); `before` (an event id) pages back. */
  audit(slug: string, query: { before?: number } = {}, options: RequestOptions = {}) {
    return this.json<AuditEvent[]>({ method: 'GET', path: orgPath(slug, 'audit'), query }, options);
  }
}

export class Auth extends Resource {
  /** A new account: `{ user, token, refreshToken }`. */
  register(body: { email: string; password: string; name?: string; username?: string }, options: PostOptions = {}) {
    return this.json<Session>({ method: 'POST', path: '/api/auth/register', json: body, anonymous: true }, options);
  }

  /** `{ user, token, refreshToken }`; use `new Loopwind({ apiKey: session.token })` with the token. */
  login(email: string, password: string, options: PostOptions = {}) {
    return this.json<Session>(
      { method: 'POST', path: '/api/auth/login', json: { email, password }, anonymous: true },
      options,
    );
  }

  /** A new access token and refresh token (the old refresh token stops working). */
  refresh(refreshToken: string, options: PostOptions = {}) {
    return this.json<TokenPair>(
      { method: 'POST', path: '/api/auth/refresh', json: { refreshToken }, anonymous: true },
      options,
    );
  }

  /** Ends the session of `refreshToken`; without one, every session of the caller. */
  async logout(refreshToken?: string, options: PostOptions = {}): Promise<void> {
    const json = refreshToken ? { refreshToken } : {};
    await this.json<void>({ method: 'POST', path: '/api/auth/logout', json, anonymous: Boolean(refreshToken) }, options);
  }

  /** Starts a device login (RFC 8628 style): show `userCode`, open `verificationUriComplete`. */
  deviceStart(clientName = '@loopwind/sdk', options: PostOptions = {}) {
    return this.json<DeviceAuthorization>(
      { method: 'POST', path: '/api/auth/device', json: { clientName }, anonymous: true },
      options,
    );
  }

  /** Polls a device login: a session once approved, else AuthError/BadRequest with `authorization_pending` or `slow_down`. */
  deviceToken(deviceCode: string, options: PostOptions = {}) {
    return this.json<Session>(
      { method: 'POST', path: '/api/auth/device/token', json: { deviceCode }, anonymous: true },
      options,
    );
  }
}

export class SigningSecretResource extends Resource {
  /** Rotate the secret behind your signed image URLs (old URLs stop working). */
  rotate(options: PostOptions = {}) {
    return this.json<SigningSecret>({ method: 'POST', path: '/api/render/signing-secret' }, options);
  }
}

export class Loopwind {
  readonly templates: Templates;
  readonly stars: Stars;
  readonly users: Users;
  readonly me: Me;
  readonly usage: UsageResource;
  readonly keys: Keys;
  readonly jobs: Jobs;
  readonly batches: Batches;
  readonly webhooks: Webhooks;
  readonly billing: Billing;
  readonly orgs: Orgs;
  readonly auth: Auth;
  readonly signingSecret: SigningSecretResource;
  readonly domains: Domains;
  readonly analytics: Analytics;
  private readonly transport: Transport;

  /** `apiKey` defaults to LOOPWIND_API_KEY, `baseUrl` to LOOPWIND_API_URL or https://loopwind.dev. */
  constructor(options: LoopwindOptions = {}) {
    const transport = new Transport(options);
    this.transport = transport;
    this.templates = new Templates(transport);
    this.stars = new Stars(transport);
    this.users = new Users(transport);
    this.me = new Me(transport);
    this.usage = new UsageResource(transport);
    this.keys = new Keys(transport);
    this.jobs = new Jobs(transport);
    this.batches = new Batches(transport);
    this.webhooks = new Webhooks(transport);
    this.billing = new Billing(transport);
    this.orgs = new Orgs(transport);
    this.auth = new Auth(transport);
    this.signingSecret = new SigningSecretResource(transport);
    this.domains = new Domains(transport);
    this.analytics = new Analytics(transport);
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** The organization this client acts for ('' for the caller's own account). */
  get account(): string {
    return this.transport.account;
  }

  /** Render an image: its bytes and what the server said about the render. */
  async render(template: string, options: RenderOptions = {}): Promise<RenderResult> {
    const json = renderBody(template, options, ['format', 'scale', 'quality', 'version']);
    // */*: the server's content negotiation knows JSON only, and answers the image itself
    const call: Call = { method: 'POST', path: '/api/render', json, accept: '*/*' };
    const { data, response } = await this.transport.bytes(call, requestOptions(options));
    const cache = response.headers.get('x-render-cache');
    const notice = response.headers.get('x-loopwind-deprecation');
    const deprecation = notice === null ? null : decodeURIComponent(notice);
    if (deprecation !== null) this.transport.onDeprecation(deprecation, options.version ?? null);
    return {
      data,
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      renderId: response.headers.get('x-render-id') ?? '',
      cache: cache === 'HIT' ? 'HIT' : 'MISS',
      durationMs: Number.parseInt(response.headers.get('x-render-duration') ?? '', 10) || 0,
      deprecation,
    };
  }

  /** Preflight a render without paying for it: the warnings for these props (nothing rendered or charged). */
  async check(template: string, options: { props?: Record<string, unknown>; version?: string } & PostOptions = {}): Promise<PreflightWarning[]> {
    const json = renderBody(template, options, ['version']);
    const out = await this.transport.json<{ warnings: PreflightWarning[] }>(
      { method: 'POST', path: '/api/render/check', json },
      requestOptions(options),
    );
    return out.warnings;
  }

  /** A signed `/i/…` image URL for `<img src>`, `og:image` and `next/og`-style use. */
  async signUrl(template: string, options: SignOptions = {}): Promise<string> {
    const json = renderBody(template, options, ['format', 'scale', 'version', 'domain']);
    const signed = await this.transport.json<SignedUrl>({ method: 'POST', path: '/api/render/sign', json }, requestOptions(options));
    if (signed.deprecation) this.transport.onDeprecation(signed.deprecation.message, signed.deprecation.version);
    return signed.url;
  }

  /** Start an async render (a video, by default mp4); `await job.wait()` for the result. */
  async renderVideo(template: string, options: RenderVideoOptions = {}): Promise<Job> {
    const json = renderBody(template, options, ['format', 'scale', 'quality', 'version', 'webhook']);
    const accepted = await this.transport.json<JobAccepted>(
      { method: 'POST', path: '/api/render/async', json },
      requestOptions(options),
    );
    if (accepted.deprecation) this.transport.onDeprecation(accepted.deprecation.message, accepted.deprecation.version);
    return new Job(this.transport, accepted);
  }

  /**
   * Render an image template once per row on the server's workers, from `rows` (props objects) or a
   * `csv`. Every row is checked first; follow the batch with `lw.batches.get(batchId)`.
   */
  renderBatch(template: string, options: RenderBatchOptions = {}): Promise<BatchAccepted> {
    if ((options.rows === undefined) === (options.csv === undefined)) {
      throw new TypeError('renderBatch needs either rows or csv');
    }
    const fields: Record<string, unknown> = { template };
    for (const name of ['format', 'scale', 'version', 'onInvalid', 'webhook'] as const) {
      if (options[name] !== undefined) fields[name] = options[name];
    }
    if (options.rows !== undefined) {
      const call: Call = { method: 'POST', path: '/api/render/batch', json: { ...fields, rows: options.rows } };
      return this.transport.json<BatchAccepted>(call, requestOptions(options));
    }
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
    const csv = options.csv!;
    const blob = csv instanceof Blob ? csv : new Blob([csv as BlobPart], { type: 'text/csv' });
    form.append('csv', blob, 'rows.csv');
    return this.transport.json<BatchAccepted>({ method: 'POST', path: '/api/render/batch', form }, requestOptions(options));
  }

  /** The job with this id (the same as `lw.jobs.get(id)`). */
  job(id: string, options: RequestOptions = {}): Promise<Job> {
    return this.jobs.get(id, options);
  }
}

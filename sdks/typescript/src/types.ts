/**
 * Names for the generated schema types (src/schema.ts, from /api/schema): what the methods take and
 * return. When the API changes, `npm run gen:types` regenerates schema.ts and the compiler points
 * at every method the change touches.
 */
import type { components, operations } from './schema.js';

type Schemas = components['schemas'];

/** The JSON body an operation answers with on success. */
export type ResponseOf<Op extends keyof operations> = operations[Op]['responses'] extends infer R
  ? {
      [Code in keyof R]: Code extends 200 | 201 | 202
        ? R[Code] extends { content: { 'application/json': infer Body } }
          ? Body
          : never
        : never;
    }[keyof R]
  : never;

export type User = Schemas['UserOutput'];
export type UserProfile = Schemas['UserProfileApiOutput'];
export type Session = Schemas['SessionOutput'];
export type TokenPair = Schemas['TokenPairOutput'];
export type DeviceAuthorization = Schemas['DeviceAuthorizationOutput'];
export type ApiKey = Schemas['ApiKeyOutput'];
export type ApiKeyCreated = Schemas['ApiKeyCreatedOutput'];
export type Template = Schemas['TemplateOutput'];
export type TemplateDetail = Schemas['TemplateDetailOutput'];
export type TemplatePage = Schemas['TemplatePageOutput'];
export type TemplateFile = Schemas['FileOutput'];
export type Version = Schemas['VersionOutput'];
export type Published = Schemas['PublishApiOutput'];
/** A preflight warning (`lint`, `check`, and `lint` in publish's answer). */
export type PreflightWarning = Schemas['PreflightWarningOutput'];
export type StarState = Schemas['StarApiOutput'];
export type JobAccepted = Schemas['JobAccepted'];
export type JobStatus = Schemas['JobStatus'];
export type BatchAccepted = Schemas['BatchAccepted'];
export type BatchStatus = Schemas['BatchStatus'];
export type BatchSummary = Schemas['BatchOutput'];
export type WebhookDelivery = Schemas['DeliveryOutput'];
export type WebhookSecret = Schemas['WebhookSecretApiOutput'];
export type SigningSecret = Schemas['SigningSecretApiOutput'];
export type Usage = ResponseOf<'me_usage'>;
export type UrlResult = Schemas['UrlOutput'];
export type SignedUrl = Schemas['SignApiOutput'];
export type ErrorBody = Schemas['ErrorBody'];
export type Org = Schemas['OrgOutput'];
/** One of your organizations (`GET /api/me/orgs`) with your role in it. */
export type MyOrg = Schemas['MyOrgOutput'];
export type OrgMember = Schemas['MembershipOutput'];
export type Invitation = Schemas['InvitationOutput'];
export type InvitationCreated = Schemas['InvitationCreatedOutput'];
export type AuditEvent = Schemas['AuditEventOutput'];
export type Role = Schemas['RoleEnum'];
export type NewOrg = Schemas['OrgsApiInputRequest'];
export type OrgUpdate = Schemas['PatchedOrgDetailApiInputRequest'];
export type CustomDomain = Schemas['DomainOutput'];

/** One period's (or one series') figures in `GET /api/analytics`. */
export interface AnalyticsFigures {
  requests: number;
  errors: number;
  renders: number;
  avgMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface AnalyticsReport {
  from: string;
  to: string;
  interval: 'minute' | 'hour' | 'day';
  groupBy: string | null;
  totals: AnalyticsFigures;
  series: { group: string | null; label: string | null; totals: AnalyticsFigures; points: (AnalyticsFigures & { start: string })[] }[];
}

/** One entry of `GET /api/analytics/errors`. */
export interface ApiErrorRecord {
  at: string;
  status: number;
  code: string;
  message: string;
  route: string;
  path: string;
  keyPrefix: string;
  requestId: string;
  template: string;
}

export type ImageFormat = Schemas['RenderInputFormatEnum'];
export type JobFormat = Schemas['AsyncRenderInputFormatEnum'];
export type ProfileUpdate = Schemas['PatchedMeApiInputRequest'];
export type TemplateUpdate = Schemas['PatchedTemplateDetailApiPatchRequest'];
export type NewKey = Schemas['ApiKeysApiInputRequest'];
export type Registration = Schemas['RegisterApiInputRequest'];
export type TemplateListQuery = NonNullable<operations['templates_list']['parameters']['query']>;

/** Where a job is: queued → processing → completed, failed or cancelled. */
export type JobState = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';
export const FINAL_STATES: readonly string[] = ['completed', 'failed', 'cancelled'];

export type { components, operations, paths } from './schema.js';

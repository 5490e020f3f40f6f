// The accounts service's public surface: users, passwords, sessions, two-factor sign-in, API keys,
// invites, the owner.

export { EMAIL_CHANGE_TTL_MS, PASSWORD_RESET_TTL_MS, VERIFY_EMAIL_TTL_MS } from './account-tokens.ts'
export { Accounts, type AccountsOptions, SIGNUP_POLICIES, type SignupPolicy } from './accounts.ts'
export { API_KEY_PREFIX, type ApiKeyView } from './api-keys.ts'
export {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditActor,
  type AuditEntry,
  type AuditRecord,
  type AuditStamp,
  CLI_ACTOR,
  listAudit,
  writeAudit,
} from './audit.ts'
export type { AccountsError, AccountsErrorCode } from './errors.ts'
export type { InviteCreated, InviteView } from './invites.ts'
export { checkPassword, PASSWORD_MAX, PASSWORD_MIN } from './passwords.ts'
export {
  DEFAULT_SESSION_TTL_MS,
  type SessionClient,
  type SessionIssued,
  type SessionView,
} from './sessions.ts'
export { safeEqual } from './tokens.ts'
export {
  TWO_FACTOR_SETUP_TTL_MS,
  type TwoFactor,
  type TwoFactorSetup,
  type TwoFactorStatus,
} from './two-factor.ts'
export { EMAIL_MAX, normalizeEmail, ROLES, type Role, type User } from './users.ts'

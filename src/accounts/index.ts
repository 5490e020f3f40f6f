// The accounts service's public surface: users, passwords, sessions, API keys, invites, the owner.

export { Accounts, type AccountsOptions, SIGNUP_POLICIES, type SignupPolicy } from './accounts.ts'
export { API_KEY_PREFIX, type ApiKeyView } from './api-keys.ts'
export type { AccountsError, AccountsErrorCode } from './errors.ts'
export type { InviteCreated, InviteView } from './invites.ts'
export { checkPassword, PASSWORD_MAX, PASSWORD_MIN } from './passwords.ts'
export { DEFAULT_SESSION_TTL_MS, type SessionIssued } from './sessions.ts'
export { safeEqual } from './tokens.ts'
export { EMAIL_MAX, normalizeEmail, ROLES, type Role, type User } from './users.ts'

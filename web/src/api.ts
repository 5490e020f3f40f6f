import type {
  AdminKeysBody,
  AdminSignUpBody,
  AdminUsersPage,
  AuditPage,
  Card,
  ChangeEmailRequest,
  ChangePasswordRequest,
  CohortClosedBody,
  ConfirmEmailRequest,
  CreatedInviteBody,
  CreatedKeyBody,
  CreateKeyRequest,
  CreditsBody,
  EmailChangePendingBody,
  EmailConfirmedBody,
  EmailVerifiedBody,
  EnginesBody,
  GrantBody,
  GrantRequest,
  HistoryBody,
  ImageBody,
  ImagesPage,
  InviteRequest,
  InvitesBody,
  JobBody,
  JobRequest,
  JobsPage,
  KeyBody,
  KeysBody,
  MeBody,
  Operation,
  PacksBody,
  PasswordChangedBody,
  PasswordResetAccepted,
  PasswordResetConfirm,
  PasswordResetRequest,
  PricingBody,
  PurchaseBody,
  PurchaseRequest,
  PurchasesBody,
  QuoteBody,
  QuoteRequest,
  ReportBody,
  SessionBody,
  SessionsBody,
  SetupBody,
  SignupAccepted,
  SignupRequest,
  UserBody,
  UserChange,
  VerificationSentBody,
  VerifyEmailRequest,
} from '../../src/contracts/index.ts'

/**
 * An error the API answered with (or a failure to reach it), with a message a person can read.
 * `code` is the API's closed set (VALIDATION, INSUFFICIENT_CREDITS, CARD_DECLINED, …) or NETWORK.
 */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiProblem'
  }
}

/** What a person calls the fields the API names in its errors. */
const FIELD_LABELS: Record<string, string> = {
  email: 'Email',
  password: 'Password',
  currentPassword: 'Current password',
  newPassword: 'New password',
  inviteCode: 'Invite code',
  prompt: 'The description',
  image: 'The image',
  mask: 'The mask',
  size: 'Size',
  model: 'Engine',
  n: 'Number of images',
  'card.number': 'Card number',
  'card.cvc': 'Security code',
  'card.expMonth': 'Expiry month',
  'card.expYear': 'Expiry year',
  'card.name': 'Name on card',
  quantity: 'Quantity',
  packId: 'Pack',
  amount: 'Amount',
  reason: 'Reason',
  userId: 'User',
  expiresInDays: 'Expiry',
  name: 'Name',
  cohort: 'Cohort',
  cohorts: 'Cohorts',
  plan: 'Plan',
  role: 'Role',
}

function sentence(text: string): string {
  const t = text.trim()
  if (t === '') return t
  const capital = t[0]!.toUpperCase() + t.slice(1)
  return /[.!?)]$/.test(capital) ? capital : `${capital}.`
}

/** Turns the API's error body into words: "prompt is required" → "The description is required." */
export function readableMessage(status: number, code: string, message: string, field: string | null): string {
  switch (code) {
    case 'INTERNAL':
      return 'Something went wrong on the server and the request was not completed. Nothing was charged; please try again.'
    case 'CSRF':
      return 'Your session changed in another tab. Reload the page and try again.'
    case 'QUEUE_FULL':
    case 'SHUTTING_DOWN':
      return `${sentence(message)} Nothing was charged.`
    case 'INSUFFICIENT_CREDITS':
      return `${sentence(message.replace(/^not enough credits:\s*/i, 'Not enough credits: '))} Buy credits to continue.`
    case 'PAYLOAD_TOO_LARGE':
      return sentence(message)
  }
  // A mailed link that no longer works: say what to do, not what the token field is.
  if (field === 'token') {
    return 'This link does not work any more: it was already used, it expired, or a newer one replaced it. Ask for a new one.'
  }
  if (field) {
    const label = FIELD_LABELS[field] ?? field.replace(/[._]/g, ' ')
    for (const prefix of [`${field}: `, `${field} `]) {
      if (message.startsWith(prefix)) return sentence(`${label} ${message.slice(prefix.length)}`)
    }
  }
  if (status === 404 && message === '') return 'That was not found.'
  return sentence(message || `The request failed (HTTP ${status}).`)
}

type Listener = () => void
const signedOutListeners = new Set<Listener>()
let csrfToken: string | null = null

export const session = {
  setCsrfToken(token: string | null): void {
    csrfToken = token
  },
  /** Called when the API says the session is gone (expired, signed out elsewhere). */
  onSignedOut(listener: Listener): () => void {
    signedOutListeners.add(listener)
    return () => signedOutListeners.delete(listener)
  },
}

const SAFE = new Set(['GET', 'HEAD'])

async function send(method: string, path: string, body?: unknown, retried = false): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (!SAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken
  let payload: BodyInit | undefined
  if (body instanceof FormData) payload = body
  else if (body !== undefined) {
    headers['content-type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  let response: Response
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' })
  } catch {
    throw new ApiProblem(
      0,
      'NETWORK',
      'Easel could not be reached. Check that the server is running and your connection, then try again.',
    )
  }
  if (response.status === 403 && !retried && !SAFE.has(method)) {
    // A stale CSRF token (another tab signed in again): fetch the current one and retry once.
    const copy = response.clone()
    const code = await errorCode(copy)
    if (code === 'CSRF') {
      const me = await fetch('/api/me', { credentials: 'same-origin' })
      if (me.ok) {
        csrfToken = ((await me.json()) as MeBody).csrfToken
        return send(method, path, body, true)
      }
    }
  }
  return response
}

async function errorCode(response: Response): Promise<string | null> {
  try {
    const body = (await response.json()) as { error?: { code?: string } }
    return body.error?.code ?? null
  } catch {
    return null
  }
}

async function problemOf(response: Response, path: string): Promise<ApiProblem> {
  let code = `HTTP_${response.status}`
  let message = ''
  let field: string | null = null
  let details: Record<string, unknown> = {}
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; field?: string; [k: string]: unknown }
    }
    if (body.error) {
      code = body.error.code ?? code
      message = body.error.message ?? ''
      field = body.error.field ?? null
      details = body.error
    }
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  if (response.status === 401 && !path.startsWith('/api/session') && !path.startsWith('/api/setup')) {
    for (const l of signedOutListeners) l()
    if (path !== '/api/me') message = 'You have been signed out. Sign in again to continue.'
  }
  return new ApiProblem(
    response.status,
    code,
    readableMessage(response.status, code, message, field),
    field,
    details,
  )
}

/** One API call: the parsed JSON answer (undefined for 204), or an {@link ApiProblem}. For feature modules beside this one. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await send(method, path, body)
  if (!response.ok) throw await problemOf(response, path)
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

const qs = (params: Record<string, string | number | boolean | undefined | null>) => {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) s.set(k, String(v))
  const text = s.toString()
  return text ? `?${text}` : ''
}

/** Every call the studio makes, one function each. */
export const api = {
  setup: () => call<SetupBody>('GET', '/api/setup'),
  createOwner: (email: string, password: string) =>
    call<SessionBody>('POST', '/api/setup', { email, password } satisfies SignupRequest),
  /**
   * Signed in at once (201, mail off), or asked to check the mail (202, mail on: the same answer
   * whether or not the address has an account).
   */
  signUp: async (
    email: string,
    password: string,
    inviteCode?: string,
  ): Promise<{ signedIn: SessionBody } | { checkEmail: SignupAccepted }> => {
    const body = await call<SessionBody | SignupAccepted>('POST', '/api/signup', {
      email,
      password,
      ...(inviteCode ? { inviteCode } : {}),
    } satisfies SignupRequest)
    return 'user' in body ? { signedIn: body } : { checkEmail: body }
  },
  verifyEmail: (token: string) =>
    call<EmailVerifiedBody>('POST', '/api/verify-email', { token } satisfies VerifyEmailRequest),
  resendVerification: () => call<VerificationSentBody>('POST', '/api/verify-email/resend'),
  signIn: (email: string, password: string) =>
    call<SessionBody>('POST', '/api/session', { email, password } satisfies SignupRequest),
  signOut: () => call<void>('DELETE', '/api/session'),
  me: () => call<MeBody>('GET', '/api/me'),

  requestPasswordReset: (email: string) =>
    call<PasswordResetAccepted>('POST', '/api/password-reset', { email } satisfies PasswordResetRequest),
  confirmPasswordReset: (token: string, password: string) =>
    call<void>('POST', '/api/password-reset/confirm', { token, password } satisfies PasswordResetConfirm),
  changePassword: (currentPassword: string, newPassword: string) =>
    call<PasswordChangedBody>('POST', '/api/account/password', {
      currentPassword,
      newPassword,
    } satisfies ChangePasswordRequest),
  changeEmail: (email: string, password: string) =>
    call<EmailChangePendingBody>('POST', '/api/account/email', {
      email,
      password,
    } satisfies ChangeEmailRequest),
  confirmEmail: (token: string) =>
    call<EmailConfirmedBody>('POST', '/api/account/email/confirm', { token } satisfies ConfirmEmailRequest),
  sessions: () => call<SessionsBody>('GET', '/api/account/sessions'),
  endSession: (id: string) => call<void>('DELETE', `/api/account/sessions/${id}`),
  signOutEverywhere: () => call<void>('POST', '/api/account/sessions/sign-out-everywhere'),

  credits: () => call<CreditsBody>('GET', '/api/credits'),
  history: (before?: string | null) =>
    call<HistoryBody>('GET', `/api/credits/history${qs({ limit: 25, before })}`),
  quote: (operation: Operation, options: Omit<QuoteRequest, 'operation'> = {}) =>
    call<QuoteBody>('POST', '/api/quotes', { operation, ...options } satisfies QuoteRequest),
  engines: () => call<EnginesBody>('GET', '/api/engines'),

  /** JSON, or multipart/form-data with the same fields as text and an `image` (and `mask`) file. */
  startJob: (body: JobRequest | FormData) => call<JobBody>('POST', '/api/jobs', body),
  job: (id: string) => call<JobBody>('GET', `/api/jobs/${id}`),
  jobs: (options: { before?: string | null; favourites?: boolean; limit?: number } = {}) =>
    call<JobsPage>(
      'GET',
      `/api/jobs${qs({ limit: options.limit ?? 10, before: options.before, favourites: options.favourites ? 'true' : undefined })}`,
    ),
  image: (id: string) => call<ImageBody>('GET', `/api/images/${id}`),
  images: (options: { limit?: number; before?: string | null; favourites?: boolean } = {}) =>
    call<ImagesPage>(
      'GET',
      `/api/images${qs({ limit: options.limit ?? 12, before: options.before, favourites: options.favourites ? 'true' : undefined })}`,
    ),
  setFavourite: (id: string, favourite: boolean) =>
    call<ImageBody>(favourite ? 'PUT' : 'DELETE', `/api/images/${id}/favourite`),

  packs: () => call<PacksBody>('GET', '/api/packs'),
  purchases: () => call<PurchasesBody>('GET', '/api/purchases'),
  buy: (packId: string, quantity: number, card: Card) =>
    call<PurchaseBody>('POST', '/api/purchases', { packId, quantity, card } satisfies PurchaseRequest),

  keys: () => call<KeysBody>('GET', '/api/keys'),
  createKey: (name: string, expiresInDays?: number) =>
    call<CreatedKeyBody>('POST', '/api/keys', {
      ...(name ? { name } : {}),
      ...(expiresInDays ? { expiresInDays } : {}),
    } satisfies CreateKeyRequest),
  revokeKey: (id: string) => call<KeyBody>('DELETE', `/api/keys/${id}`),

  admin: {
    users: (cursor?: string | null) =>
      call<AdminUsersPage>('GET', `/api/admin/users${qs({ limit: 50, cursor })}`),
    updateUser: (id: string, change: UserChange) => call<UserBody>('PATCH', `/api/admin/users/${id}`, change),
    grant: (body: GrantRequest) => call<GrantBody>('POST', '/api/admin/grants', body),
    invites: () => call<InvitesBody>('GET', '/api/admin/invites'),
    createInvite: (body: InviteRequest) => call<CreatedInviteBody>('POST', '/api/admin/invites', body),
    keys: () => call<AdminKeysBody>('GET', '/api/admin/keys'),
    revokeKey: (id: string) => call<KeyBody>('DELETE', `/api/admin/keys/${id}`),
    pricing: () => call<PricingBody>('GET', '/api/admin/pricing'),
    report: (from: number, to: number) => call<ReportBody>('GET', `/api/admin/report${qs({ from, to })}`),
    signUp: () => call<AdminSignUpBody>('GET', '/api/admin/sign-up'),
    audit: (q: { action?: string | undefined; before?: string | undefined } = {}) =>
      call<AuditPage>('GET', `/api/admin/audit${qs({ limit: 50, ...q })}`),
    closeCohort: (cohort: string) =>
      call<CohortClosedBody>('POST', `/api/admin/cohorts/${encodeURIComponent(cohort)}/close`),
  },
}

/** The message of anything thrown, for showing. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiProblem) return error.message
  if (error instanceof Error) return sentence(error.message)
  return 'Something went wrong.'
}

/** The studio's daily calls on a job's files: search history, delete, download all (issue 13). */
export const jobFiles = {
  /** A page of jobs, newest first; `q` keeps those whose prompt contains it (any case). */
  search: (options: { q?: string; before?: string | null; favourites?: boolean; limit?: number } = {}) =>
    call<JobsPage>(
      'GET',
      `/api/jobs${qs({
        limit: options.limit ?? 10,
        before: options.before,
        favourites: options.favourites ? 'true' : undefined,
        q: options.q?.trim() || undefined,
      })}`,
    ),
  /** Deletes a finished job with its images (a job still waiting or running is refused: cancel it first). */
  deleteJob: (id: string) => call<void>('DELETE', `/api/jobs/${id}`),
  deleteImage: (id: string) => call<void>('DELETE', `/api/images/${id}`),
  /** Where the zip of a job's images downloads from (a plain link: the session cookie signs it in). */
  zipUrl: (id: string) => `/api/jobs/${id}/images.zip`,
}

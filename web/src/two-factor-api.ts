import type {
  RecoveryCodesBody,
  RecoveryCodesRequest,
  SessionBody,
  SignInRequest,
  TwoFactorDisableRequest,
  TwoFactorEnableRequest,
  TwoFactorSetupBody,
  TwoFactorSetupRequest,
  TwoFactorStatusBody,
} from '../../src/contracts/index.ts'
import { ApiProblem, call } from './api.ts'

const BASE = '/api/account/two-factor'

/** The calls of two-factor sign-in: the account's settings, and sign-in's second step. */
export const twoFactorApi = {
  status: () => call<TwoFactorStatusBody>('GET', BASE),
  setUp: (password: string) =>
    call<TwoFactorSetupBody>('POST', `${BASE}/setup`, { password } satisfies TwoFactorSetupRequest),
  enable: (code: string) =>
    call<RecoveryCodesBody>('POST', `${BASE}/enable`, { code } satisfies TwoFactorEnableRequest),
  disable: (password: string, code: string) =>
    call<void>('POST', `${BASE}/disable`, { password, code } satisfies TwoFactorDisableRequest),
  renewRecoveryCodes: (password: string, code: string) =>
    call<RecoveryCodesBody>('POST', `${BASE}/recovery-codes`, {
      password,
      code,
    } satisfies RecoveryCodesRequest),
  /** Sign-in with the code an account with two-factor sign-in asks for (from the app, or a recovery code). */
  signIn: (email: string, password: string, code: string) =>
    call<SessionBody>('POST', '/api/session', { email, password, code } satisfies SignInRequest),
}

/** Whether sign-in answered "right password, now the code" (401, reason TWO_FACTOR_REQUIRED). */
export const asksForCode = (error: unknown): boolean =>
  error instanceof ApiProblem && error.status === 401 && error.details.reason === 'TWO_FACTOR_REQUIRED'

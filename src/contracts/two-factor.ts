import { z } from 'zod'
import { OneTimeCode, Password } from './accounts.ts'

// Two-factor sign-in (TOTP) of the signed-in person's own account: /api/account/two-factor and its
// set-up, enable, disable and recovery-codes. Sign-in itself takes the code (`SignInRequest`).

export const TwoFactorStatusBody = z.object({
  enabled: z.boolean(),
  /** When it was turned on. */
  enabledAt: z.number().int().nullable(),
  /** Recovery codes not used yet (0 while it is off). */
  recoveryCodesLeft: z.number().int().nonnegative(),
  /** Whether the caller may turn it off: administrators may not, once it is on. */
  canDisable: z.boolean(),
})
export type TwoFactorStatusBody = z.output<typeof TwoFactorStatusBody>

export const TwoFactorSetupRequest = z.object({ password: Password })
export type TwoFactorSetupRequest = z.input<typeof TwoFactorSetupRequest>

/** A set-up in progress: the secret for the app, shown once, until a code from it enables it. */
export const TwoFactorSetupBody = z.object({
  /** Base32, to type into an app by hand. */
  secret: z.string(),
  /** `otpauth://totp/Easel:<email>?secret=…&issuer=Easel…` */
  otpauthUrl: z.string(),
  /** The URL as a QR code: an SVG document to show as an image. */
  qrSvg: z.string(),
})
export type TwoFactorSetupBody = z.output<typeof TwoFactorSetupBody>

export const TwoFactorEnableRequest = z.object({ code: OneTimeCode })
export type TwoFactorEnableRequest = z.input<typeof TwoFactorEnableRequest>

/** A new set of recovery codes: this answer is the only time they are shown. */
export const RecoveryCodesBody = z.object({ recoveryCodes: z.array(z.string()) })
export type RecoveryCodesBody = z.output<typeof RecoveryCodesBody>

/** The password and a code (from the app, or a recovery code) confirm turning it off. */
export const TwoFactorDisableRequest = z.object({ password: Password, code: OneTimeCode })
export type TwoFactorDisableRequest = z.input<typeof TwoFactorDisableRequest>

/** The password and a code confirm a new set of recovery codes. */
export const RecoveryCodesRequest = z.object({ password: Password, code: OneTimeCode })
export type RecoveryCodesRequest = z.input<typeof RecoveryCodesRequest>

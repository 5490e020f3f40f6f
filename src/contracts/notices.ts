import { z } from 'zod'

// /api/account/notices: which mails a person wants besides those about their account's security.

/** A yes/no field that must be sent, as true or false. */
const Flag = z.boolean({
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be true or false'),
})

/**
 * The notices a person wants: `expiryWarnings`, a mail a week before credits they bought expire
 * (on unless turned off); `freeCredits`, a mail when each month's free credits arrive (off unless
 * turned on). The same shape is read (GET) and written whole (PUT): both fields required, and a
 * field that is not one of them refused, so that a misspelt field never silently changes nothing.
 */
export const NoticePreferencesBody = z.strictObject(
  { expiryWarnings: Flag, freeCredits: Flag },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}: the fields are expiryWarnings and freeCredits`
        : 'must be an object with expiryWarnings and freeCredits (true or false)',
  },
)
export type NoticePreferencesBody = z.output<typeof NoticePreferencesBody>

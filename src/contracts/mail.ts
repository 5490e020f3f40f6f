import { z } from 'zod'

// Mail, as administrators see it: /api/admin/mail.

export const AdminMailBody = z.object({
  /** Mail goes out through an SMTP server (EASEL_SMTP_URL); off, it is written to the server log. */
  enabled: z.boolean(),
  /** The From address (EASEL_MAIL_FROM), when mail is on. */
  from: z.string().nullable(),
  /** The SMTP server, without credentials (`smtp://mail.example.com:587`), when mail is on. */
  server: z.string().nullable(),
  /** Mails waiting to be sent: due now, or to be tried again after a failure. */
  queued: z.number().int().nonnegative(),
  /** Mails given up on (refused by the server, or out of attempts). */
  failed: z.number().int().nonnegative(),
})
export type AdminMailBody = z.output<typeof AdminMailBody>

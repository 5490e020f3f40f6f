import type { SqlTx } from '../db/writer/index.ts'
import { newId } from '../util/ids.ts'

/**
 * A mail as Easel writes it: one recipient, a subject, and the same message as plain text and as
 * simple HTML. `kind` says what it is (`password-reset`, `verify-email`, …) for the log and tests.
 */
export interface OutgoingMail {
  readonly kind: string
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html: string
}

/**
 * Queues a mail in the outbox inside the caller's write transaction, so that it is sent if and only
 * if what caused it commits (a reset token and the mail that carries it, together). The background
 * sender (src/notify/outbox.ts) delivers it; nothing here talks to an SMTP server.
 *
 * @example
 * await db.write({ name: 'password-reset', locks: {}, run: async (tx, now) => {
 *   tx.write('insert into account_tokens …', [...], 1)
 *   queueMail(tx, composeMail({ kind: 'password-reset', to, subject, paragraphs, action }), now)
 * } })
 */
export function queueMail(tx: SqlTx, mail: OutgoingMail, now: number): string {
  const id = newId('mail', now)
  tx.write(
    `insert into mail_outbox (id, kind, to_address, subject, text_body, html_body, created_at, attempts, next_attempt_at)
     values (?, ?, ?, ?, ?, ?, ?, 0, ?)`,
    [id, mail.kind, mail.to, mail.subject, mail.text, mail.html, now, now],
    1,
  )
  return id
}

/** What a simple mail says: a greeting, a few paragraphs, at most one button, a closing line. */
export interface MailContent {
  readonly kind: string
  readonly to: string
  readonly subject: string
  readonly paragraphs: readonly string[]
  /** The one thing to do, as a link (its URL built on EASEL_PUBLIC_URL by the caller). */
  readonly action?: { readonly label: string; readonly url: string }
  /** Said after the action, e.g. "If you did not ask for this, ignore this mail." */
  readonly footer?: string
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)

/**
 * Writes a mail's plain-text and HTML bodies from its content. Everything is escaped: an email
 * address or a name a person typed can never become markup in someone's inbox.
 */
export function composeMail(content: MailContent): OutgoingMail {
  const text = [
    ...content.paragraphs,
    ...(content.action ? [`${content.action.label}: ${content.action.url}`] : []),
    ...(content.footer ? [content.footer] : []),
    '— Easel',
  ].join('\n\n')
  const p = (t: string) => `<p style="margin:0 0 16px">${escapeHtml(t)}</p>`
  const button = content.action
    ? `<p style="margin:0 0 16px"><a href="${escapeHtml(content.action.url)}" style="display:inline-block;padding:10px 18px;background:#1f2937;color:#ffffff;text-decoration:none;border-radius:6px">${escapeHtml(content.action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#555">Or open this link: ${escapeHtml(content.action.url)}</p>`
    : ''
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;font-size:15px;line-height:1.5;color:#111;max-width:560px;margin:0 auto;padding:24px">',
    ...content.paragraphs.map(p),
    button,
    content.footer ? p(content.footer) : '',
    '<p style="margin:24px 0 0;color:#555">— Easel</p>',
    '</body></html>',
  ].join('')
  return { kind: content.kind, to: content.to, subject: content.subject, text, html }
}

/**
 * A link into the studio on the installation's public URL, kept under its path if it has one:
 * `publicLink('https://x.test/easel', '/reset-password?token=t')` → `https://x.test/easel/reset-password?token=t`.
 */
export function publicLink(publicUrl: string, pathAndQuery: string): string {
  const base = publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`
  return new URL(pathAndQuery.replace(/^\/+/, ''), base).toString()
}

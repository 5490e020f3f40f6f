import { useEffect, useState } from 'react'
import type { AdminMailBody } from '../../../src/contracts/index.ts'

const mails = (n: number) => `${n} ${n === 1 ? 'mail' : 'mails'}`

/**
 * One line on the admin page: whether mail goes out (and from whom) or is written to the server log,
 * and how many mails wait or were given up on. A GET needs only the session cookie.
 */
export function AdminMail() {
  const [mail, setMail] = useState<AdminMailBody | null>(null)
  const [problem, setProblem] = useState(false)
  useEffect(() => {
    let live = true
    fetch('/api/admin/mail', { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(async (response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        const body = (await response.json()) as AdminMailBody
        if (live) setMail(body)
      })
      .catch(() => {
        if (live) setProblem(true)
      })
    return () => {
      live = false
    }
  }, [])

  if (problem) return <p className="hint">Mail: its status could not be read.</p>
  if (!mail) return null
  const counts = `${mails(mail.queued)} waiting to be sent, ${mails(mail.failed)} given up on.`
  return (
    <p className="hint" data-testid="admin-mail">
      {mail.enabled ? (
        <>
          Mail: on, from <strong>{mail.from}</strong>
          {mail.server ? ` through ${mail.server}` : ''}. {counts}
        </>
      ) : (
        <>
          Mail is off: messages are written to the server log (set <code>EASEL_SMTP_URL</code> and{' '}
          <code>EASEL_MAIL_FROM</code> to send them). {counts}
        </>
      )}
    </p>
  )
}

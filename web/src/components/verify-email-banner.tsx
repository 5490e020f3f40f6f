import { useState } from 'react'
import { api, messageOf } from '../api.ts'
import { useSession } from '../session.tsx'

/**
 * On every page for someone signed in whose email is not verified yet (they signed up with mail
 * on and have not opened the link): their free credits wait for it, and the link can be sent again.
 */
export function VerifyEmailBanner() {
  const { user } = useSession()
  const [state, setState] = useState<
    | { kind: 'idle' }
    | { kind: 'sending' }
    | { kind: 'sent'; to: string }
    | { kind: 'problem'; message: string }
  >({ kind: 'idle' })
  if (!user || user.emailVerified) return null

  const resend = async () => {
    setState({ kind: 'sending' })
    try {
      const sent = await api.resendVerification()
      setState({ kind: 'sent', to: sent.sentTo })
    } catch (error) {
      setState({ kind: 'problem', message: messageOf(error) })
    }
  }

  return (
    <div className="verify-banner" data-testid="verify-email-banner">
      <p className="verify-banner-text">
        <strong>Verify your email to receive your free credits.</strong> We sent a link to {user.email}.
      </p>
      {state.kind === 'sent' ? (
        <p className="verify-banner-text" role="status">
          A new link is on its way to {state.to}; earlier links no longer work.
        </p>
      ) : (
        <button
          type="button"
          className="button button-small"
          disabled={state.kind === 'sending'}
          onClick={() => void resend()}
        >
          {state.kind === 'sending' ? 'Sending…' : 'Send the link again'}
        </button>
      )}
      {state.kind === 'problem' && (
        <p className="verify-banner-problem" role="alert">
          {state.message}
        </p>
      )}
    </div>
  )
}

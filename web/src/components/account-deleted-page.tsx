import { Link } from './link.tsx'

/**
 * Where the studio goes once a person has deleted their account: signed out (the server ended
 * every session), with what happened and the way back in.
 */
export function AccountDeletedPage() {
  return (
    <section className="card narrow stack" aria-labelledby="account-deleted-title">
      <h1 id="account-deleted-title" tabIndex={-1}>
        Your account has been deleted
      </h1>
      <p>
        Your images, prompts, sessions, API keys and personal details are erased, and you are signed out. Your
        address can be used to sign up again.
      </p>
      <p>
        <Link href="/signup">Sign up again</Link> · <Link href="/signin">Sign in</Link>
      </p>
    </section>
  )
}

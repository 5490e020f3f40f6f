import { useId, useState } from 'react'
import { useSession } from '../session.tsx'
import { AccountDataSection } from './account-data-section.tsx'
import { ChangeEmailForm } from './change-email-form.tsx'
import { ChangePasswordForm } from './change-password-form.tsx'
import { NoticesSection } from './notices-section.tsx'
import { SessionsList } from './sessions-list.tsx'
import { TwoFactorSection } from './two-factor-section.tsx'

/** The account's security: password, email, and where it is signed in. */
export function AccountPage() {
  const id = useId()
  const { user } = useSession()
  // A password change signs other sessions out: the list is read again.
  const [version, setVersion] = useState(0)
  if (!user) return null
  return (
    <div className="stack-large">
      <section aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`} tabIndex={-1}>
          Account
        </h1>
        <p className="lead">
          Signed in as <strong>{user.email}</strong>. Change your password or email, and see where your
          account is signed in.
        </p>
        <div className="grid-2">
          <ChangePasswordForm onChanged={() => setVersion((v) => v + 1)} />
          <ChangeEmailForm current={user.email} />
        </div>
      </section>
      <TwoFactorSection />
      <SessionsList version={version} />
      <NoticesSection />
      <AccountDataSection />
    </div>
  )
}

import { type ReactNode, useEffect, useRef } from 'react'
import { navigate, useLocation } from '../router.ts'
import { useSession } from '../session.tsx'
import { AccountDeletedPage } from './account-deleted-page.tsx'
import { AccountPage } from './account-page.tsx'
import { AdminPage } from './admin-page.tsx'
import { BuyCreditsPage } from './buy-credits-page.tsx'
import { CheckoutReturnPage } from './checkout-return-page.tsx'
import { ConfirmEmailPage } from './confirm-email-page.tsx'
import { CreditsPage } from './credits-page.tsx'
import { EditPage } from './edit-page.tsx'
import { ForgotPasswordPage } from './forgot-password-page.tsx'
import { Header } from './header.tsx'
import { HistoryPage } from './history-page.tsx'
import { KeysPage } from './keys-page.tsx'
import { NotFoundPage } from './not-found-page.tsx'
import { ResetPasswordPage } from './reset-password-page.tsx'
import { SetupPage } from './setup-page.tsx'
import { SignInPage } from './sign-in-page.tsx'
import { SignUpPage } from './sign-up-page.tsx'
import { StudioPage } from './studio-page.tsx'
import { TestModeBanner } from './test-mode-banner.tsx'
import { VariationsPage } from './variations-page.tsx'
import { VerifyEmailBanner } from './verify-email-banner.tsx'
import { VerifyEmailPage } from './verify-email-page.tsx'

const TITLES: Record<string, string> = {
  '/': 'Create',
  '/edit': 'Edit',
  '/variations': 'Variations',
  '/history': 'History',
  '/credits': 'Credits',
  '/credits/buy': 'Buy credits',
  '/credits/buy/return': 'Payment',
  '/keys': 'API keys',
  '/account': 'Account',
  '/account-deleted': 'Account deleted',
  '/forgot-password': 'Forgot password',
  '/reset-password': 'New password',
  '/confirm-email': 'Confirm email',
  '/verify-email': 'Verify email',
  '/setup': 'Set up',
  '/signin': 'Sign in',
  '/signup': 'Sign up',
}

/** Pages a mailed link (or the sign-in page, or deleting the account) leads to: open signed in or out. */
const OPEN_PAGES: Record<string, () => ReactNode> = {
  '/account-deleted': () => <AccountDeletedPage />,
  '/forgot-password': () => <ForgotPasswordPage />,
  '/reset-password': () => <ResetPasswordPage />,
  '/confirm-email': () => <ConfirmEmailPage />,
  '/verify-email': () => <VerifyEmailPage />,
}

/** The studio: picks the page for the location, and moves focus to it on every navigation. */
export function App() {
  const { setup, user } = useSession()
  const { path } = useLocation()
  const main = useRef<HTMLElement>(null)
  const first = useRef(true)

  const anonymous = !user
  // Once there is an owner; before that, every visitor belongs on the set-up page.
  const open = setup.setUp && Object.hasOwn(OPEN_PAGES, path)
  // Where a signed-out visitor belongs: the owner set-up first, else sign-in (or sign-up).
  const signedOutPath = !setup.setUp
    ? '/setup'
    : path === '/signup' && setup.signup !== 'closed'
      ? '/signup'
      : '/signin'
  useEffect(() => {
    if (anonymous && !open && path !== signedOutPath) {
      const keep = signedOutPath === '/signin' && !['/', '/setup', '/signup'].includes(path)
      navigate(keep ? `/signin?next=${encodeURIComponent(path)}` : signedOutPath, { replace: true })
    }
    if (!anonymous && ['/signin', '/signup', '/setup'].includes(path)) {
      const next = new URLSearchParams(window.location.search).get('next')
      navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true })
    }
  }, [anonymous, open, path, signedOutPath])

  useEffect(() => {
    const title = path.startsWith('/admin') ? 'Admin' : (TITLES[path] ?? 'Not found')
    document.title = `${title} · Easel`
    if (first.current) {
      first.current = false
      return
    }
    // A keyboard or screen-reader user lands on the new page's heading, as after a page load.
    main.current?.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true })
  }, [path])

  let page: ReactNode
  if (open) page = OPEN_PAGES[path]!()
  else if (!user) {
    page =
      signedOutPath === '/setup' ? (
        <SetupPage />
      ) : signedOutPath === '/signup' ? (
        <SignUpPage />
      ) : (
        <SignInPage />
      )
  } else if (path === '/') page = <StudioPage />
  else if (path === '/edit') page = <EditPage />
  else if (path === '/variations') page = <VariationsPage />
  else if (path === '/history') page = <HistoryPage />
  else if (path === '/credits') page = <CreditsPage />
  else if (path === '/credits/buy') page = <BuyCreditsPage />
  else if (path === '/credits/buy/return') page = <CheckoutReturnPage />
  else if (path === '/keys') page = <KeysPage />
  else if (path === '/account') page = <AccountPage />
  else if (path === '/admin' || path.startsWith('/admin/')) page = <AdminPage />
  else if (path === '/signin' || path === '/signup' || path === '/setup') page = null
  else page = <NotFoundPage />

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {setup.testCheckout && <TestModeBanner />}
      <Header />
      {!open && <VerifyEmailBanner />}
      <main id="main" ref={main} className={user && !open ? 'main' : 'main main-narrow'}>
        {page}
      </main>
    </>
  )
}

import { useLocation } from '../router.ts'
import { useSession } from '../session.tsx'
import { AdminAudit } from './admin-audit.tsx'
import { AdminEngines } from './admin-engines.tsx'
import { AdminKeys } from './admin-keys.tsx'
import { AdminMail } from './admin-mail.tsx'
import { AdminModeration } from './admin-moderation.tsx'
import { AdminPricing } from './admin-pricing.tsx'
import { AdminPurchases } from './admin-purchases.tsx'
import { AdminReport } from './admin-report.tsx'
import { AdminSignUp } from './admin-sign-up.tsx'
import { AdminUsers } from './admin-users.tsx'
import { Link } from './link.tsx'

const TABS = [
  { href: '/admin', label: 'Users' },
  { href: '/admin/keys', label: 'API keys' },
  { href: '/admin/engines', label: 'Engines' },
  { href: '/admin/moderation', label: 'Moderation' },
  { href: '/admin/purchases', label: 'Purchases' },
  { href: '/admin/pricing', label: 'Price book' },
  { href: '/admin/report', label: 'Report' },
  { href: '/admin/audit', label: 'Audit log' },
]

/** Administration of the installation; administrators only (the API refuses everyone else too). */
export function AdminPage() {
  const { user } = useSession()
  const { path } = useLocation()
  if (user?.role !== 'admin') {
    return (
      <section className="card narrow" data-testid="admin-forbidden">
        <h1 tabIndex={-1}>Administrators only</h1>
        <p>
          This part of Easel is for the administrators of this installation. If you need something changed
          (credits, your plan), ask one of them.
        </p>
        <p>
          <Link href="/">Back to Create</Link>
        </p>
      </section>
    )
  }
  const tab = TABS.find((t) => t.href === path) ?? TABS[0]!
  return (
    <div className="stack-large">
      <div className="admin-head">
        <h1 tabIndex={-1}>Admin · {tab.label}</h1>
        <nav aria-label="Admin" className="tabs">
          <ul>
            {TABS.map((t) => (
              <li key={t.href}>
                <Link href={t.href} aria-current={t.href === tab.href ? 'page' : undefined}>
                  {t.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <AdminMail />
      </div>
      {tab.href === '/admin' && <AdminSignUp />}
      {tab.href === '/admin' && <AdminUsers />}
      {tab.href === '/admin/keys' && <AdminKeys />}
      {tab.href === '/admin/engines' && <AdminEngines />}
      {tab.href === '/admin/moderation' && <AdminModeration />}
      {tab.href === '/admin/purchases' && <AdminPurchases />}
      {tab.href === '/admin/pricing' && <AdminPricing />}
      {tab.href === '/admin/report' && <AdminReport />}
      {tab.href === '/admin/audit' && <AdminAudit />}
    </div>
  )
}

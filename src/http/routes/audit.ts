import { listAudit } from '../../accounts/index.ts'
import type { Services } from '../../app/index.ts'
import { AuditPage, AuditQuery, errorResponses } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireAdmin } from '../auth.ts'

/** The audit log: every administrative action, who, when, what and why. Admins only. */
export function registerAuditRoutes(app: App, services: Services): void {
  app.get(
    '/api/admin/audit',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'The audit log, newest first: grants, changes of users, revoked keys, invites, closed cohorts… with who, when, what and why. Filter by action, subject or actor; page with before=nextCursor',
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errorResponses },
      },
    },
    async (request) => {
      requireAdmin(request)
      const { limit, before, action, subject, actor } = request.query
      return listAudit(services.db, {
        limit,
        ...(before ? { before } : {}),
        ...(action ? { action } : {}),
        ...(subject ? { subject } : {}),
        ...(actor ? { actor } : {}),
      })
    },
  )
}

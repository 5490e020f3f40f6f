import { useCallback, useEffect, useId, useState } from 'react'
import type { AuditEntryBody } from '../../../src/contracts/index.ts'
import { AUDIT_ACTIONS } from '../../../src/contracts/limits.ts'
import { api, messageOf } from '../api.ts'
import { dateTime } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'

/** What changed, in a line: `plan: free → pro`, `amount: 25` (ids of lots and accounts left out). */
function describe(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([k, v]) => v !== null && v !== undefined && !k.endsWith('Id'))
    .map(([k, v]) => {
      if (typeof v === 'object' && v !== null && 'before' in v && 'after' in v) {
        const c = v as { before: unknown; after: unknown }
        return `${k}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`
      }
      return `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`
    })
    .join(', ')
}

/** The audit log, newest first: who did what to whom, when and why; filter by action, page older. */
export function AdminAudit() {
  const id = useId()
  const [action, setAction] = useState('')
  const [entries, setEntries] = useState<AuditEntryBody[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  const load = useCallback(async (filter: string, before?: string) => {
    try {
      const page = await api.admin.audit({ action: filter || undefined, before })
      setEntries((shown) => (before && shown ? [...shown, ...page.entries] : page.entries))
      setCursor(page.nextCursor)
      setProblem(null)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load(action)
  }, [load, action])

  return (
    <section aria-label="Audit log" className="stack">
      <div className="field">
        <label htmlFor={`${id}-action`}>Action</label>
        <select id={`${id}-action`} value={action} onChange={(e) => setAction(e.target.value)}>
          <option value="">Every action</option>
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage>{problem}</ErrorMessage>
      {entries && entries.length === 0 && <p>Nothing recorded{action ? ` for ${action}` : ''} yet.</p>}
      {entries && entries.length > 0 && (
        <div className="table-wrap">
          <table data-testid="audit-log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Subject</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>{dateTime(e.at)}</td>
                  <td className="cell-text">{e.actorLabel}</td>
                  <td className="cell-text">
                    <code>{e.action}</code> {describe(e.details)}
                  </td>
                  <td>
                    <code>{e.subject}</code>
                  </td>
                  <td className="cell-text">{e.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <p>
          <button type="button" className="button" onClick={() => void load(action, cursor)}>
            Older
          </button>
        </p>
      )}
    </section>
  )
}

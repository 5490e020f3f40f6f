import { useCallback, useEffect, useId, useState } from 'react'
import type { SessionInfo } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import { dateTime, relativeTime } from '../format.ts'
import { useSession } from '../session.tsx'
import { describeUserAgent } from '../user-agent.ts'
import { ErrorMessage } from './error-message.tsx'

/** Where the account is signed in: each session with its browser, address and last use; sign out one or all. */
export function SessionsList({ version }: { version: number }) {
  const id = useId()
  const { reload } = useSession()
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [confirmingAll, setConfirmingAll] = useState(false)
  const [busy, setBusy] = useState(false)

  const load = useCallback(async () => {
    try {
      setSessions((await api.sessions()).sessions)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void version
    void load()
  }, [load, version])

  const end = async (session: SessionInfo) => {
    setProblem(null)
    setBusy(true)
    try {
      await api.endSession(session.id)
      if (session.current) await reload()
      else await load()
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  const everywhere = async () => {
    setProblem(null)
    setBusy(true)
    try {
      await api.signOutEverywhere()
      await reload()
    } catch (error) {
      setProblem(messageOf(error))
      setBusy(false)
    }
  }

  return (
    <section className="card stack account-card" aria-labelledby={`${id}-title`}>
      <div className="section-head">
        <h2 id={`${id}-title`}>Where you are signed in</h2>
        {confirmingAll ? (
          <div className="button-row">
            <button
              type="button"
              className="button button-small button-danger"
              disabled={busy}
              onClick={() => void everywhere()}
            >
              Sign out all {sessions?.length ?? ''} sessions
            </button>
            <button
              type="button"
              className="button button-small button-quiet"
              onClick={() => setConfirmingAll(false)}
            >
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" className="button button-small" onClick={() => setConfirmingAll(true)}>
            Sign out everywhere
          </button>
        )}
      </div>
      <p className="muted">
        Signing out everywhere includes this browser. API keys are not sessions: revoke them on the API keys
        page.
      </p>
      <ErrorMessage>{problem}</ErrorMessage>
      {sessions && (
        <div className="table-wrap stacks-on-phone">
          <table>
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">Address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last active</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id} data-testid="session" data-current={s.current ? 'true' : undefined}>
                  <td title={s.userAgent ?? undefined}>
                    {describeUserAgent(s.userAgent)}
                    {s.current && <span className="tag">This browser</span>}
                  </td>
                  <td data-label="Address">{s.address ?? 'unknown'}</td>
                  <td data-label="Signed in">{dateTime(s.createdAt)}</td>
                  <td data-label="Last active">{s.current ? 'now' : relativeTime(s.lastSeenAt)}</td>
                  <td className="actions">
                    <button
                      type="button"
                      className="button button-small"
                      disabled={busy}
                      onClick={() => void end(s)}
                    >
                      Sign out<span className="visually-hidden"> {describeUserAgent(s.userAgent)}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

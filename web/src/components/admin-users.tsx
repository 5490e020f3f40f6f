import { useCallback, useEffect, useId, useState } from 'react'
import type { AdminUser } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import { shortDate } from '../format.ts'
import { useSession } from '../session.tsx'
import { AdminInvites } from './admin-invites.tsx'
import { ErrorMessage } from './error-message.tsx'
import { GrantForm } from './grant-form.tsx'
import { UserEditor } from './user-editor.tsx'

/** Users with their cohort, plan, role and balance; grant credits; change a user; invites. */
export function AdminUsers() {
  const id = useId()
  const { user: me, refreshCredits } = useSession()
  const [users, setUsers] = useState<AdminUser[]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [grantTo, setGrantTo] = useState<string | null>(null)
  const [editing, setEditing] = useState<string | null>(null)

  const load = useCallback(async (after: string | null) => {
    try {
      const page = await api.admin.users(after)
      setUsers((list) => (after ? [...list, ...page.users] : page.users))
      setCursor(page.nextCursor)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load(null)
  }, [load])

  const reload = async () => {
    await load(null)
    void refreshCredits()
  }

  return (
    <div className="stack-large">
      <section aria-labelledby={`${id}-users`}>
        <h2 id={`${id}-users`}>Users</h2>
        <ErrorMessage>{problem}</ErrorMessage>
        <div className="table-wrap">
          <table data-testid="admin-users">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Plan</th>
                <th scope="col">Cohorts</th>
                <th scope="col" className="num">
                  Available
                </th>
                <th scope="col" className="num">
                  Held
                </th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} className={u.disabled ? 'is-disabled' : undefined}>
                  <td className="cell-text">
                    {u.email}
                    {u.disabled && <span className="tag">disabled</span>}
                  </td>
                  <td>{u.role}</td>
                  <td>{u.plan}</td>
                  <td>{u.cohorts.length ? u.cohorts.join(', ') : '—'}</td>
                  <td className="num">{u.available}</td>
                  <td className="num">{u.held}</td>
                  <td>{shortDate(u.createdAt)}</td>
                  <td className="actions">
                    <button type="button" className="button button-small" onClick={() => setGrantTo(u.id)}>
                      Grant<span className="visually-hidden"> credits to {u.email}</span>
                    </button>
                    <button
                      type="button"
                      className="button button-small button-quiet"
                      onClick={() => setEditing(u.id)}
                    >
                      Change<span className="visually-hidden"> {u.email}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {cursor && (
          <button type="button" className="button" onClick={() => void load(cursor)}>
            Show more users
          </button>
        )}
      </section>
      {editing && (
        <UserEditor
          key={editing}
          user={users.find((u) => u.id === editing)!}
          isSelf={editing === me?.id}
          onDone={(changed) => {
            setEditing(null)
            if (changed) void reload()
          }}
        />
      )}
      <GrantForm users={users} userId={grantTo} onUserId={setGrantTo} onGranted={() => void reload()} />
      <AdminInvites />
    </div>
  )
}

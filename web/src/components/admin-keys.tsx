import { useCallback, useEffect, useState } from 'react'
import type { AdminKey } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import { shortDate } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'

/** Every API key of the installation, whose it is, when last used; revoke any. */
export function AdminKeys() {
  const [keys, setKeys] = useState<AdminKey[] | null>(null)
  const [emails, setEmails] = useState<Map<string, string>>(new Map())
  const [problem, setProblem] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      const [k, u] = await Promise.all([api.admin.keys(), api.admin.users()])
      setKeys(k.keys)
      setEmails(new Map(u.users.map((x) => [x.id, x.email])))
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const revoke = async (id: string) => {
    try {
      await api.admin.revokeKey(id)
      await load()
    } catch (error) {
      setProblem(messageOf(error))
    }
  }

  const active = keys?.filter((k) => k.revokedAt === null).length ?? 0
  return (
    <section aria-label="API keys">
      <ErrorMessage>{problem}</ErrorMessage>
      {keys && (
        <p>
          {keys.length} keys, {active} active.
        </p>
      )}
      {keys && keys.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td className="cell-text">{emails.get(k.userId) ?? k.userId}</td>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{shortDate(k.createdAt)}</td>
                  <td>{k.lastUsedAt ? shortDate(k.lastUsedAt) : 'never'}</td>
                  <td>{k.revokedAt ? `revoked ${shortDate(k.revokedAt)}` : 'active'}</td>
                  <td className="actions">
                    {!k.revokedAt && (
                      <button type="button" className="button button-small" onClick={() => void revoke(k.id)}>
                        Revoke<span className="visually-hidden"> {k.name}</span>
                      </button>
                    )}
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

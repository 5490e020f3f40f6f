import { type FormEvent, useCallback, useEffect, useId, useState } from 'react'
import type { CreatedKeyBody, KeyBody } from '../../../src/contracts/index.ts'
import { KEY_NAME_MAX, MAX_EXPIRY_DAYS } from '../../../src/contracts/limits.ts'
import { api, messageOf } from '../api.ts'
import { shortDate } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

/** API keys: create one (its secret is shown once), list them, revoke; and how to use one. */
export function KeysPage() {
  const id = useId()
  const [keys, setKeys] = useState<KeyBody[] | null>(null)
  const [name, setName] = useState('')
  const [days, setDays] = useState('')
  const [created, setCreated] = useState<CreatedKeyBody | null>(null)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [confirming, setConfirming] = useState<string | null>(null)
  const [copied, setCopied] = useState(false)

  const load = useCallback(async () => {
    try {
      setKeys((await api.keys()).keys)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const create = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(null)
    setCopied(false)
    try {
      const n = days.trim() ? Number(days) : undefined
      if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_EXPIRY_DAYS)) {
        throw new Error(
          `Expiry must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}, or empty for a key that does not expire.`,
        )
      }
      setCreated(await api.createKey(name.trim(), n))
      setName('')
      setDays('')
      await load()
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  const revoke = async (key: KeyBody) => {
    setProblem(null)
    try {
      await api.revokeKey(key.id)
      setConfirming(null)
      if (created?.key.id === key.id) setCreated(null)
      await load()
    } catch (error) {
      setProblem(messageOf(error))
    }
  }

  const origin = window.location.origin
  const snippet = `import OpenAI from 'openai'

const client = new OpenAI({
  baseURL: '${origin}/v1',
  apiKey: process.env.EASEL_API_KEY, // ${created ? created.secret.slice(0, 12) : 'the key you created'}…
})

const result = await client.images.generate({
  prompt: 'a lighthouse on a cliff at dusk',
  n: 4,
  size: '1024x1024',
})
console.log(result.data.map((image) => image.url))`

  return (
    <div className="stack-large">
      <section aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`} tabIndex={-1}>
          API keys
        </h1>
        <p className="lead">
          Programs use Easel through its OpenAI-compatible Images API with a key. Whatever they make is
          charged to your credits, like the studio.
        </p>
        <form className="card stack" onSubmit={create} aria-label="Create an API key">
          <h2>Create a key</h2>
          <div className="field-row">
            <Field
              label="Name"
              placeholder="my script"
              maxLength={KEY_NAME_MAX}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
            <Field
              label="Expires after (days)"
              hint="Leave empty for a key that does not expire."
              inputMode="numeric"
              value={days}
              onChange={(e) => setDays(e.target.value)}
            />
          </div>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create key'}
          </button>
          <ErrorMessage>{problem}</ErrorMessage>
        </form>
        {created && (
          <div className="notice notice-success" role="status" data-testid="new-key">
            <strong className="notice-title">
              Key “{created.key.name}” created. Copy it now: it is not shown again.
            </strong>
            <div className="secret-row">
              <label htmlFor={`${id}-secret`} className="visually-hidden">
                The new API key
              </label>
              <input
                id={`${id}-secret`}
                className="secret"
                readOnly
                value={created.secret}
                onFocus={(e) => e.currentTarget.select()}
              />
              <button
                type="button"
                className="button"
                onClick={() =>
                  navigator.clipboard
                    ?.writeText(created.secret)
                    .then(() => setCopied(true))
                    .catch(() => setCopied(false))
                }
              >
                {copied ? 'Copied' : 'Copy'}
              </button>
            </div>
          </div>
        )}
      </section>

      <section aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`}>Your keys</h2>
        {keys && keys.length === 0 && <p className="empty">No keys yet.</p>}
        {keys && keys.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
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
                {keys.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>{shortDate(key.createdAt)}</td>
                    <td>{key.lastUsedAt ? shortDate(key.lastUsedAt) : 'never'}</td>
                    <td>{keyStatus(key)}</td>
                    <td className="actions">
                      {key.revokedAt === null &&
                        (confirming === key.id ? (
                          <>
                            <button
                              type="button"
                              className="button button-small button-danger"
                              onClick={() => void revoke(key)}
                            >
                              Confirm revoke {key.name}
                            </button>
                            <button
                              type="button"
                              className="button button-small button-quiet"
                              onClick={() => setConfirming(null)}
                            >
                              Keep
                            </button>
                          </>
                        ) : (
                          <button
                            type="button"
                            className="button button-small"
                            onClick={() => setConfirming(key.id)}
                          >
                            Revoke<span className="visually-hidden"> {key.name}</span>
                          </button>
                        ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby={`${id}-use`}>
        <h2 id={`${id}-use`}>Use a key with the OpenAI SDK</h2>
        <p>
          Point the official <code>openai</code> package at this server (<code>npm install openai</code>).
          Edits and variations work the same way; running out of credits answers HTTP 429{' '}
          <code>insufficient_quota</code>. The full API is described at <a href="/docs">/docs</a>.
        </p>
        <pre className="code">
          <code>{snippet}</code>
        </pre>
      </section>
    </div>
  )
}

function keyStatus(key: KeyBody): string {
  if (key.revokedAt !== null) return `revoked ${shortDate(key.revokedAt)}`
  if (key.expiresAt !== null && key.expiresAt < Date.now()) return `expired ${shortDate(key.expiresAt)}`
  if (key.expiresAt !== null) return `active until ${shortDate(key.expiresAt)}`
  return 'active'
}

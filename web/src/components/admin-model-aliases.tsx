import { type FormEvent, useCallback, useEffect, useId, useState } from 'react'
import type { ModelAliasBody, ModelAliasesBody } from '../../../src/contracts/index.ts'
import { MODEL_NAME_MAX } from '../../../src/contracts/limits.ts'
import { call, messageOf } from '../api.ts'
import { shortDate } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import './admin-model-aliases.css'

const aliasPath = (alias: string) => `/api/admin/model-aliases/${encodeURIComponent(alias)}`

const aliasesApi = {
  list: () => call<ModelAliasesBody>('GET', '/api/admin/model-aliases'),
  set: (alias: string, target: string) => call<ModelAliasBody>('PUT', aliasPath(alias), { target }),
  remove: (alias: string) => call<void>('DELETE', aliasPath(alias)),
}

/**
 * Model aliases, for administrators: other names requests may give as `model`, so that apps which
 * hard-code OpenAI's names (`dall-e-3`, `gpt-image-1`) reach a model of this installation. Those of
 * EASEL_MODEL_ALIASES are shown as fixed: only the environment changes them.
 */
export function ModelAliasesSection() {
  const id = useId()
  const [body, setBody] = useState<ModelAliasesBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const [alias, setAlias] = useState('')
  const [target, setTarget] = useState('')
  const [busy, setBusy] = useState(false)

  const load = useCallback(async () => {
    try {
      const read = await aliasesApi.list()
      setBody(read)
      setTarget((t) => t || (read.targets[0] ?? ''))
      setProblem(null)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const act = async (action: () => Promise<unknown>, message: string) => {
    setBusy(true)
    setProblem(null)
    setDone(null)
    try {
      await action()
      setDone(message)
      await load()
      return true
    } catch (error) {
      setProblem(messageOf(error))
      return false
    } finally {
      setBusy(false)
    }
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const name = alias.trim()
    if (await act(() => aliasesApi.set(name, target), `${name} now reaches ${target}.`)) setAlias('')
  }

  return (
    <section aria-labelledby={`${id}-title`} className="stack model-aliases" data-testid="model-aliases">
      <h2 id={`${id}-title`}>Model aliases</h2>
      <p className="hint">
        Apps written for OpenAI often send a fixed model name (dall-e-2, dall-e-3, gpt-image-1). An alias
        sends that name to a model of this installation. Aliases set with <code>EASEL_MODEL_ALIASES</code> are
        fixed here; change them in the environment. An alias set here reaches every server within seconds.
      </p>
      {done && (
        <p className="notice notice-success" role="status">
          {done}
        </p>
      )}
      <ErrorMessage>{problem}</ErrorMessage>
      {body && body.aliases.length === 0 && <p>No aliases yet: requests name the models themselves.</p>}
      {body && body.aliases.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Alias</th>
                <th scope="col">Reaches</th>
                <th scope="col">Set</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {body.aliases.map((a) => (
                <AliasRow
                  key={a.alias}
                  alias={a}
                  busy={busy}
                  onRemove={(name) => act(() => aliasesApi.remove(name), `${name} was removed.`)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {body && (
        <form className="model-aliases-form" onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor={`${id}-alias`}>Alias</label>
            <input
              id={`${id}-alias`}
              required
              maxLength={MODEL_NAME_MAX}
              placeholder="dall-e-3"
              value={alias}
              onChange={(e) => setAlias(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-target`}>Reaches</label>
            <select id={`${id}-target`} value={target} onChange={(e) => setTarget(e.target.value)}>
              {body.targets.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button" disabled={busy || alias.trim() === '' || target === ''}>
            Set alias
          </button>
        </form>
      )}
    </section>
  )
}

function AliasRow(props: { alias: ModelAliasBody; busy: boolean; onRemove(alias: string): unknown }) {
  const { alias: a, busy, onRemove } = props
  return (
    <tr data-alias={a.alias}>
      <td>
        <code>{a.alias}</code>
      </td>
      <td>
        {a.engine ? (
          <code>
            {a.engine}:{a.model}
          </code>
        ) : (
          <span className="model-aliases-broken">
            {a.target}: not a model of this installation (requests naming it are refused)
          </span>
        )}
      </td>
      <td>{a.fixed ? 'fixed (EASEL_MODEL_ALIASES)' : a.updatedAt ? shortDate(a.updatedAt) : ''}</td>
      <td className="actions">
        {!a.fixed && (
          <button
            type="button"
            className="button button-small"
            disabled={busy}
            onClick={() => void onRemove(a.alias)}
          >
            Remove<span className="visually-hidden"> {a.alias}</span>
          </button>
        )}
      </td>
    </tr>
  )
}

import { type ReactNode, useCallback, useEffect, useState } from 'react'
import type { AdminEngineBody, AdminEnginesBody, BackendStateBody } from '../../../src/contracts/index.ts'
import { call, messageOf } from '../api.ts'
import { dateTime, plural, relativeTime } from '../format.ts'
import { ModelAliasesSection } from './admin-model-aliases.tsx'
import { ErrorMessage } from './error-message.tsx'
import './admin-engines.css'

/** How often the page reads the backends' states again while it is open. */
const REFRESH_MS = 15_000

const OPERATION_WORDS: Record<string, string> = {
  generate: 'generate',
  edit: 'edit (with a mask)',
  variation: 'variations',
}

/**
 * The engines page: which engines run, with their models, sizes and operations and their queue
 * here; for an engine with upstream servers, whether each is in rotation or taken out, and why; and
 * how to turn on the engines that are off.
 */
export function AdminEngines() {
  const [engines, setEngines] = useState<AdminEngineBody[] | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [readAt, setReadAt] = useState<number | null>(null)

  const load = useCallback(async () => {
    try {
      const body = await call<AdminEnginesBody>('GET', '/api/admin/engines')
      setEngines(body.engines)
      setReadAt(Date.now())
      setProblem(null)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load()
    const timer = setInterval(() => void load(), REFRESH_MS)
    return () => clearInterval(timer)
  }, [load])

  const on = new Set(engines?.map((e) => e.name) ?? [])
  return (
    <div className="stack-large" data-testid="admin-engines">
      <section aria-labelledby="engines-running" className="stack">
        <div className="section-head">
          <h2 id="engines-running">Engines running</h2>
          <div className="engines-refresh">
            {readAt !== null && <span className="hint">Read at {new Date(readAt).toLocaleTimeString()}</span>}
            <button type="button" className="button button-small" onClick={() => void load()}>
              Refresh
            </button>
          </div>
        </div>
        <ErrorMessage>{problem}</ErrorMessage>
        {engines?.length === 1 && engines[0]!.procedural && (
          <p className="notice notice-info" data-testid="only-procedural">
            Only the built-in procedural engine is on: it draws pictures from the prompt&apos;s words without
            a model. Turn on a real image engine below.
          </p>
        )}
        {engines?.map((engine) => (
          <EngineCard key={engine.name} engine={engine} />
        ))}
      </section>

      <ModelAliasesSection />

      <section aria-labelledby="engines-setup" className="stack" data-testid="engines-setup">
        <h2 id="engines-setup">Turning engines on</h2>
        <p className="lead">
          Engines are set in Easel&apos;s environment (the <code>.env</code> file or the service&apos;s
          settings) and read when Easel starts: set the variables, then restart Easel. Requests pick an engine
          by the model they name; <code>EASEL_DEFAULT_ENGINE</code> takes those that name none.
        </p>
        <SetupCard name="openai" title="OpenAI" on={on.has('openai')}>
          <p>
            Set <code>EASEL_OPENAI_API_KEY</code> to an API key of your OpenAI account. Optional:{' '}
            <code>EASEL_OPENAI_MODELS</code> (comma-separated, default <code>gpt-image-1</code>; also{' '}
            <code>dall-e-3</code>, <code>dall-e-2</code>…) and <code>EASEL_OPENAI_BASE_URL</code> for a
            compatible service elsewhere.
          </p>
          <pre className="code">{'EASEL_OPENAI_API_KEY=sk-…\nEASEL_OPENAI_MODELS=gpt-image-1,dall-e-3'}</pre>
        </SetupCard>
        <SetupCard
          name="sdwebui"
          title="Stable Diffusion WebUI (AUTOMATIC1111, Forge)"
          on={on.has('sdwebui')}
        >
          <p>
            Start each WebUI with <code>--api</code>, then list them in <code>EASEL_SDWEBUI_URLS</code>,
            comma-separated: jobs go to the least busy one, and one that keeps failing is taken out and
            checked again later. (<code>EASEL_SDWEBUI_URL</code> still works for a single WebUI; set one or
            the other.) For a WebUI started with <code>--api-auth user:password</code>, set{' '}
            <code>EASEL_SDWEBUI_AUTH=user:password</code> or write the credentials into its URL.{' '}
            <code>EASEL_SDWEBUI_MODELS</code> names the checkpoints requests may ask for (default{' '}
            <code>stable-diffusion</code>: whichever the WebUI has loaded).
          </p>
          <pre className="code">EASEL_SDWEBUI_URLS=http://gpu1:7860,http://gpu2:7860</pre>
        </SetupCard>
        <SetupCard name="comfyui" title="ComfyUI" on={on.has('comfyui')}>
          <p>
            List your ComfyUI servers in <code>EASEL_COMFYUI_URLS</code>, comma-separated, and the checkpoint
            files requests may ask for in <code>EASEL_COMFYUI_MODELS</code> (the first is the default;{' '}
            <code>sdxl=sd_xl_base_1.0.safetensors</code> names one <code>sdxl</code>). Easel ships workflows
            for generate, edit and variation; to use your own, export them in API format into a folder and set{' '}
            <code>EASEL_COMFYUI_WORKFLOWS</code> to it.
          </p>
          <pre className="code">
            {
              'EASEL_COMFYUI_URLS=http://gpu1:8188,http://gpu2:8188\nEASEL_COMFYUI_MODELS=sdxl=sd_xl_base_1.0.safetensors'
            }
          </pre>
        </SetupCard>
      </section>
    </div>
  )
}

function EngineCard({ engine }: { engine: AdminEngineBody }) {
  const { queue } = engine
  return (
    <article className="card engine-card" data-testid="engine" data-engine={engine.name}>
      <h3 className="engine-title">
        {engine.name}
        {engine.default && <span className="tag">default</span>}
        {engine.procedural && <span className="tag">procedural</span>}
      </h3>
      <dl className="engine-facts">
        <dt>Models</dt>
        <dd>{engine.models.join(', ')}</dd>
        <dt>Sizes</dt>
        <dd>{engine.sizes.join(', ')}</dd>
        <dt>Operations</dt>
        <dd>{engine.operations.map((op) => OPERATION_WORDS[op] ?? op).join(', ')}</dd>
        <dt>Queue here</dt>
        <dd data-testid="engine-queue">
          {plural(queue.running, 'job')} running, {queue.waiting} waiting
        </dd>
      </dl>
      {engine.backends && <Backends backends={engine.backends} />}
    </article>
  )
}

function Backends({ backends }: { backends: BackendStateBody[] }) {
  const out = backends.filter((b) => !b.healthy).length
  return (
    <div className="stack">
      <p className="hint">
        {plural(backends.length, 'server')}
        {out > 0 ? `, ${out} taken out of rotation` : ', all in rotation'}.
      </p>
      <div className="table-wrap stacks-on-phone">
        <table>
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">State</th>
              <th scope="col" className="num">
                Running
              </th>
              <th scope="col">Last error</th>
              <th scope="col">Last checked</th>
            </tr>
          </thead>
          <tbody>
            {backends.map((b) => (
              <tr key={b.url} data-testid="backend" data-url={b.url} data-healthy={String(b.healthy)}>
                <td data-label="Server" className="cell-text">
                  <code className="backend-url">{b.url}</code>
                </td>
                <td data-label="State">
                  <BackendStatus backend={b} />
                </td>
                <td data-label="Running" className="num">
                  {b.running}
                </td>
                <td data-label="Last error" className="cell-text backend-error">
                  {b.lastError ?? '—'}
                </td>
                <td data-label="Last checked">
                  {b.checkedAt === null ? (
                    'not yet'
                  ) : (
                    <time dateTime={new Date(b.checkedAt).toISOString()} title={dateTime(b.checkedAt)}>
                      {relativeTime(b.checkedAt)}
                    </time>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

function BackendStatus({ backend }: { backend: BackendStateBody }) {
  if (backend.healthy) return <span className="backend-state backend-up">In rotation</span>
  const retry = backend.retryAt
  return (
    <span className="backend-state backend-out">
      Taken out
      {retry !== null && (
        <span className="backend-retry">
          {' '}
          · {retry <= Date.now() ? 'checked again on the next job' : `checked again ${inTime(retry)}`}
        </span>
      )}
    </span>
  )
}

/** "in 25 s", "in 3 min", "at 25 Dec 2026, 14:05". */
function inTime(ms: number, now = Date.now()): string {
  const s = Math.ceil((ms - now) / 1000)
  if (s < 60) return `in ${s} s`
  if (s < 3600) return `in ${Math.ceil(s / 60)} min`
  return `at ${dateTime(ms)}`
}

function SetupCard(props: { name: string; title: string; on: boolean; children: ReactNode }) {
  return (
    <article className="card engine-setup" data-testid="engine-setup" data-engine={props.name}>
      <h3 className="engine-title">
        {props.title}
        <span className={props.on ? 'tag engine-on' : 'tag engine-off'}>{props.on ? 'on' : 'off'}</span>
      </h3>
      {props.children}
    </article>
  )
}

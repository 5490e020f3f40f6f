import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react'
import type { CreditsBody, SessionBody, SetupBody, UserBody } from '../../src/contracts/index.ts'
import { ApiProblem, api, session as apiSession, messageOf } from './api.ts'

export interface Session {
  setup: SetupBody
  user: UserBody | null
  /** The balance shown in the header; null until first read. */
  credits: CreditsBody | null
  /** Re-reads the balance (after a job settles, a purchase, a grant…). */
  refreshCredits(): Promise<void>
  signedIn(body: SessionBody): void
  signOut(): Promise<void>
  /** Asks the server again who is signed in (after an email change, or signing out everywhere). */
  reload(): Promise<void>
}

const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside <SessionProvider>')
  return s
}

type Boot =
  | { state: 'loading' }
  | { state: 'failed'; message: string }
  | { state: 'ready'; setup: SetupBody; user: UserBody | null }

/** Loads who is signed in and keeps the balance; renders `children` once it knows. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' })
  const [credits, setCredits] = useState<CreditsBody | null>(null)
  const latest = useRef(0)

  const load = useCallback(async () => {
    try {
      const setup = await api.setup()
      let user: UserBody | null = null
      // Signed out: asking /api/me would only log a 401 in the console.
      if (setup.signedIn !== false) {
        try {
          const me = await api.me()
          user = me.user
          apiSession.setCsrfToken(me.csrfToken)
        } catch (error) {
          if (!(error instanceof ApiProblem && error.status === 401)) throw error
        }
      }
      if (!user) apiSession.setCsrfToken(null)
      setBoot({ state: 'ready', setup, user })
    } catch (error) {
      setBoot({ state: 'failed', message: messageOf(error) })
    }
  }, [])

  useEffect(() => {
    void load()
  }, [load])

  useEffect(
    () =>
      apiSession.onSignedOut(() => {
        setBoot((b) => (b.state === 'ready' && b.user ? { ...b, user: null } : b))
        setCredits(null)
      }),
    [],
  )

  const userId = boot.state === 'ready' ? (boot.user?.id ?? null) : null

  const refreshCredits = useCallback(async () => {
    if (!userId) return
    // Answers can arrive out of order; only the newest request's answer is shown.
    const ticket = ++latest.current
    try {
      const body = await api.credits()
      if (ticket === latest.current) setCredits(body)
    } catch {
      // The header keeps the last balance it knew; pages show their own errors.
    }
  }, [userId])

  useEffect(() => {
    setCredits(null)
    void refreshCredits()
  }, [refreshCredits])

  const value = useMemo<Session | null>(() => {
    if (boot.state !== 'ready') return null
    return {
      setup: boot.setup,
      user: boot.user,
      credits,
      refreshCredits,
      signedIn(body) {
        apiSession.setCsrfToken(body.csrfToken)
        setBoot({ state: 'ready', setup: { ...boot.setup, setUp: true }, user: body.user })
      },
      async signOut() {
        try {
          await api.signOut()
        } finally {
          apiSession.setCsrfToken(null)
          setCredits(null)
          setBoot({ state: 'ready', setup: boot.setup, user: null })
        }
      },
      reload: load,
    }
  }, [boot, credits, refreshCredits, load])

  if (boot.state === 'loading') {
    return (
      <div className="boot" role="status">
        Loading Easel…
      </div>
    )
  }
  if (boot.state === 'failed' || !value) {
    return (
      <div className="boot" role="alert">
        <p>{boot.state === 'failed' ? boot.message : 'Easel could not start.'}</p>
        <button type="button" className="button" onClick={() => void load()}>
          Try again
        </button>
      </div>
    )
  }
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}

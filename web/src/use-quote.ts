import { useEffect, useState } from 'react'
import type { ImageSize, Operation, QuoteBody } from '../../src/contracts/index.ts'
import { sizeName } from '../../src/contracts/limits.ts'
import { api, messageOf } from './api.ts'
import { useSession } from './session.tsx'

/** What an operation costs now (from the price book in force) and whether the balance covers it. */
export function useQuote(
  operation: Operation,
  size: ImageSize | null,
  model: string | null,
): { quote: QuoteBody | null; problem: string | null } {
  const { credits } = useSession()
  const available = credits?.available
  const [quote, setQuote] = useState<QuoteBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  useEffect(() => {
    if (available === undefined) return
    let live = true
    api
      .quote(operation, { ...(size ? { size: sizeName(size) } : {}), ...(model ? { model } : {}) })
      .then((q) => {
        if (!live) return
        setQuote(q)
        setProblem(null)
      })
      .catch((error) => live && setProblem(messageOf(error)))
    return () => {
      live = false
    }
  }, [operation, size, model, available])
  return { quote, problem }
}

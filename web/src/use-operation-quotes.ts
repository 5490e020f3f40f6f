import { useEffect, useState } from 'react'
import type { Operation, QuoteBody } from '../../src/contracts/index.ts'
import { OPERATIONS } from '../../src/contracts/limits.ts'
import { api } from './api.ts'

/**
 * What each operation costs under the price book in force (default size and engine), for pages
 * that describe prices in words; null until all three quotes are in, or when one could not be read
 * (the page then says nothing about prices rather than something that may be wrong).
 */
export function useOperationQuotes(): Record<Operation, QuoteBody> | null {
  const [quotes, setQuotes] = useState<Record<Operation, QuoteBody> | null>(null)
  useEffect(() => {
    let live = true
    Promise.all(OPERATIONS.map((operation) => api.quote(operation)))
      .then(([generate, edit, variation]) => {
        if (live) setQuotes({ generate: generate!, edit: edit!, variation: variation! })
      })
      .catch(() => {})
    return () => {
      live = false
    }
  }, [])
  return quotes
}

import { z } from 'zod'
import type { EngineDeps, ImageEngine } from '../engine.ts'
import { SketchEngine } from './engine.ts'

export const name = 'sketch'

/** The sketch engine reads no variables: it is always on. */
export type SketchSettings = Record<string, never>

export const configSchema = z.object({}).transform((): SketchSettings => ({}))

export function create(_settings: SketchSettings, _deps: EngineDeps): ImageEngine {
  return new SketchEngine()
}

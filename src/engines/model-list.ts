import { z } from 'zod'

/**
 * An `EASEL_<ENGINE>_MODELS` variable: model names, comma-separated, blanks dropped; `fallback`
 * when unset. An empty list leaves the engine its own default model.
 *
 * @example
 * modelList('gpt-image-1').parse('gpt-image-1, dall-e-2,') // → ['gpt-image-1', 'dall-e-2']
 */
export function modelList(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
}

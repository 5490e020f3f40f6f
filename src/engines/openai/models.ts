import type { ModelQualities, ResolvedQuality, SizeName } from '../engine.ts'
import { SQUARE_SIZE_NAMES } from '../engine.ts'

// What each OpenAI image model makes, as OpenAI's Images API reference documents it: the sizes
// and qualities a request may ask for, and what `auto` means. Easel adds the small squares (256,
// 512) for every model: those the upstream cannot make are made at 1024 and scaled down.

/** The model families the Images API documents; anything else is an OpenAI-compatible server's own. */
export type ModelFamily = 'gpt-image' | 'dall-e-3' | 'dall-e-2' | 'other'

/** The GPT image family (`gpt-image-1`, `gpt-image-1-mini`, `chatgpt-image-latest`, …). */
export function isGptImageModel(model: string): boolean {
  return /^(gpt-image|chatgpt-image)/.test(model)
}

export function familyOf(model: string): ModelFamily {
  if (isGptImageModel(model)) return 'gpt-image'
  if (model.startsWith('dall-e-3')) return 'dall-e-3'
  if (model.startsWith('dall-e-2')) return 'dall-e-2'
  return 'other'
}

const SIZES: Record<ModelFamily, readonly SizeName[]> = {
  'gpt-image': [...SQUARE_SIZE_NAMES, '1536x1024', '1024x1536'],
  'dall-e-3': [...SQUARE_SIZE_NAMES, '1792x1024', '1024x1792'],
  'dall-e-2': SQUARE_SIZE_NAMES,
  // A server that only claims the API (LocalAI, a proxy) is asked for what dall-e-2 takes.
  other: SQUARE_SIZE_NAMES,
}

/**
 * `auto` is "the best quality for the given model" (OpenAI's words): `high` for the GPT image
 * models, and so priced as that, never as free; dall-e-3's default is `standard`, and `standard`
 * is the only quality of dall-e-2 (and of servers Easel knows nothing of).
 */
const QUALITIES: Record<ModelFamily, ModelQualities> = {
  'gpt-image': { accepted: ['low', 'medium', 'high'], auto: 'high' },
  'dall-e-3': { accepted: ['standard', 'hd'], auto: 'standard' },
  'dall-e-2': { accepted: ['standard'], auto: 'standard' },
  other: { accepted: ['standard'], auto: 'standard' },
}

/** The sizes `model` makes through Easel. */
export function sizesOfModel(model: string): readonly SizeName[] {
  return SIZES[familyOf(model)]
}

export function qualitiesOfModel(model: string): ModelQualities {
  return QUALITIES[familyOf(model)]
}

/**
 * The size to ask the upstream for. The GPT image models (and dall-e-3) make nothing smaller than
 * 1024x1024, so smaller squares are made at 1024 and scaled down here; their own non-square sizes,
 * dall-e-2's squares and those of unknown OpenAI-compatible servers are asked for as they are.
 *
 * @example
 * upstreamSize('gpt-image-1', '256x256') // → '1024x1024'
 * upstreamSize('dall-e-3', '1792x1024') // → '1792x1024'
 */
export function upstreamSize(model: string, size: SizeName): SizeName {
  const family = familyOf(model)
  const small = size === '256x256' || size === '512x512'
  return small && (family === 'gpt-image' || family === 'dall-e-3') ? '1024x1024' : size
}

/**
 * The `quality` field to send: the GPT image models and dall-e-3 take one; dall-e-2 has only
 * `standard`, and servers that merely claim the API may refuse a field they do not know, so
 * neither is sent one.
 */
export function upstreamQuality(model: string, quality: ResolvedQuality): { quality?: ResolvedQuality } {
  const family = familyOf(model)
  return family === 'gpt-image' || family === 'dall-e-3' ? { quality } : {}
}

import { inspect } from 'node:util'
import { z } from 'zod'

/**
 * The outside moderation of prompts and generated images (EASEL_MODERATION), or null when it is
 * off. `openai` is OpenAI's moderation endpoint, reached with the openai engine's key and base URL
 * (EASEL_OPENAI_API_KEY, EASEL_OPENAI_BASE_URL): one key for both, as one OpenAI account serves both.
 *
 * Its JSON and `util.inspect` forms leave the key out, as the mail and Stripe settings do.
 */
export interface ModerationConfig {
  readonly service: 'openai'
  readonly apiKey: string
  /** The API root, e.g. `https://api.openai.com/v1`. */
  readonly baseURL: string
  /**
   * The categories that refuse (EASEL_MODERATION_CATEGORIES), as OpenAI names them (`violence`,
   * `sexual/minors`…); null: whatever the service flags.
   */
  readonly categories: readonly string[] | null
}

/**
 * The categories of OpenAI's `omni-moderation-latest`, as its API reference lists them. A name
 * outside them is refused at start-up: a typo would otherwise turn the check off without a word.
 */
export const OPENAI_MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/instructions',
  'self-harm/intent',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const

/** The variables read here; `config.ts` merges them into its own schema. */
export const moderationEnvShape = {
  EASEL_MODERATION: z.enum(['off', 'openai'], 'must be off or openai').default('off'),
  EASEL_MODERATION_CATEGORIES: z.string().max(1000).optional(),
}

type ModerationEnv = z.output<z.ZodObject<typeof moderationEnvShape>>

/** What the openai engine's own schema read (`settings.openai`): null when its key is not set. */
const OpenAiKey = z.object({ apiKey: z.string().min(1), baseURL: z.string().min(1) }).nullable()

/**
 * The moderation settings, or null when moderation is off; problems are pushed.
 *
 * @example
 * moderationConfig({ EASEL_MODERATION: 'openai' }, { apiKey: 'sk-…', baseURL: 'https://api.openai.com/v1' }, problems)
 * // { service: 'openai', apiKey: 'sk-…', baseURL: 'https://api.openai.com/v1', categories: null }
 */
export function moderationConfig(
  e: ModerationEnv,
  /** `settings.openai` of the engines' configuration. */
  openaiSettings: unknown,
  problems: string[],
): ModerationConfig | null {
  const categories = e.EASEL_MODERATION_CATEGORIES?.trim() ? list(e.EASEL_MODERATION_CATEGORIES) : null
  const unknown = (categories ?? []).filter(
    (c) => !(OPENAI_MODERATION_CATEGORIES as readonly string[]).includes(c),
  )
  if (unknown.length > 0) {
    problems.push(
      `EASEL_MODERATION_CATEGORIES: ${unknown.map((c) => `"${c}"`).join(', ')} ${unknown.length === 1 ? 'is not a category' : 'are not categories'} of OpenAI's moderation (${OPENAI_MODERATION_CATEGORIES.join(', ')})`,
    )
  }
  if (e.EASEL_MODERATION === 'off') {
    if (categories) problems.push('EASEL_MODERATION_CATEGORIES: set while EASEL_MODERATION is off')
    return null
  }
  const openai = OpenAiKey.parse(openaiSettings ?? null)
  if (!openai) {
    problems.push(
      "EASEL_MODERATION: openai moderation uses the openai engine's key: set EASEL_OPENAI_API_KEY (and EASEL_OPENAI_BASE_URL for a host other than api.openai.com)",
    )
    return null
  }
  const config = { service: 'openai' as const, apiKey: openai.apiKey, baseURL: openai.baseURL, categories }
  const printable = () => ({ service: config.service, baseURL: config.baseURL, categories })
  Object.defineProperty(config, 'toJSON', { value: printable, enumerable: false })
  Object.defineProperty(config, inspect.custom, { value: printable, enumerable: false })
  return config
}

const list = (v: string): string[] => [
  ...new Set(
    v
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s.length > 0),
  ),
]

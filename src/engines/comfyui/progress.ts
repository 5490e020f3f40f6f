import type { EngineProgress } from '../engine.ts'
import type { ApiNode } from './workflow.ts'

/**
 * A run's progress over its whole workflow, in sampling steps. ComfyUI reports `progress {value,
 * max, node}` for one node at a time: a workflow with two samplers (SDXL base then refiner, a
 * hires-fix pass) counts 1…20 and then 1…10 again, and some other nodes (tiled VAE decode, model
 * upscalers) count their tiles. Read as one fraction that would go back; counted here, it does not.
 *
 * The samplers are the nodes that take a `latent_image` (KSampler, KSamplerAdvanced, SamplerCustom,
 * SamplerCustomAdvanced); each counts as its `steps` literal, or, without one, as the `max` it
 * reports once it starts (until then, as the others do on average). Other nodes' counts are left
 * out. A workflow with no sampler is reported node by node, as ComfyUI counts.
 *
 * @example
 * const tally = new WorkflowProgress(prompt) // KSampler '3' (20 steps), then KSampler '13' (10)
 * tally.step('3', 20, 20) // → { done: 20, total: 30 }
 * tally.step('13', 5, 10) // → { done: 25, total: 30 }
 */
export class WorkflowProgress {
  /** Sampler node id → its steps (null until known). */
  readonly #weights = new Map<string, number | null>()
  readonly #done = new Map<string, number>()
  #last = 0

  constructor(prompt: Readonly<Record<string, ApiNode>>) {
    for (const [id, node] of Object.entries(prompt)) {
      if (!('latent_image' in node.inputs)) continue
      const steps = node.inputs.steps
      this.#weights.set(id, typeof steps === 'number' && Number.isInteger(steps) && steps > 0 ? steps : null)
    }
  }

  /** The run's progress after a `progress` message of `node`; null when it tells nothing new. */
  step(node: unknown, value: number, max: number): EngineProgress | null {
    if (!(max > 0) || !Number.isFinite(value) || !Number.isFinite(max)) return null
    if (this.#weights.size === 0) return { done: Math.min(value, max), total: max }
    const id = typeof node === 'string' || typeof node === 'number' ? String(node) : ''
    if (!this.#weights.has(id)) return null
    const weight = this.#weights.get(id) ?? max
    this.#weights.set(id, weight)
    this.#done.set(id, (Math.min(Math.max(value, 0), max) / max) * weight)
    const known = [...this.#weights.values()].filter((w): w is number => w !== null)
    const guess = known.reduce((a, b) => a + b, 0) / known.length
    const total = [...this.#weights.values()].reduce<number>((sum, w) => sum + (w ?? guess), 0)
    const done = [...this.#done.values()].reduce((a, b) => a + b, 0)
    // A guessed weight replaced by the real one may lower the fraction: it is not told.
    if (done / total < this.#last) return null
    this.#last = done / total
    return { done, total }
  }
}

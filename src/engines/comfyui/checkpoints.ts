/** A checkpoint a request may ask for: the model name it uses, and ComfyUI's file name for it. */
export interface Checkpoint {
  readonly name: string
  readonly file: string
}

/**
 * Reads `EASEL_COMFYUI_MODELS`: comma-separated checkpoint files as ComfyUI lists them (its
 * `models/checkpoints` folder, subfolders included), the first the default. A request names one by
 * its model name: `name=file` gives it one; a bare file is named by its file name without folder and
 * extension. Names must differ.
 *
 * @example
 * parseCheckpoints('sdxl=sd_xl_base_1.0.safetensors, SD15/v1-5-pruned-emaonly.safetensors')
 * // → { ok: true, checkpoints: [{ name: 'sdxl', file: 'sd_xl_base_1.0.safetensors' },
 * //                             { name: 'v1-5-pruned-emaonly', file: 'SD15/v1-5-pruned-emaonly.safetensors' }] }
 */
export function parseCheckpoints(
  value: string,
): { ok: true; checkpoints: Checkpoint[] } | { ok: false; problems: string[] } {
  const problems: string[] = []
  const checkpoints: Checkpoint[] = []
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  for (const entry of entries) {
    const equals = entry.indexOf('=')
    const file = (equals >= 0 ? entry.slice(equals + 1) : entry).trim()
    const name = equals >= 0 ? entry.slice(0, equals).trim() : nameOfFile(file)
    if (file === '') {
      problems.push(`"${entry}" names no checkpoint file`)
    } else if (!/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(name)) {
      problems.push(`"${name}" is not a model name (letters, digits, . _ : -) in "${entry}"`)
    } else if (checkpoints.some((c) => c.name === name)) {
      problems.push(`"${name}" names two checkpoints: give one of them its own name (name=file)`)
    } else {
      checkpoints.push({ name, file })
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, checkpoints }
}

/** `SDXL/sd_xl_base_1.0.safetensors` → `sd_xl_base_1.0`. */
function nameOfFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file
  const dot = base.lastIndexOf('.')
  return dot > 0 ? base.slice(0, dot) : base
}

/** {@link parseCheckpoints} of a list known to be right (tests, benchmarks): throws on a wrong one. */
export function checkpointsOf(value: string): Checkpoint[] {
  const parsed = parseCheckpoints(value)
  if (!parsed.ok) throw new Error(parsed.problems.join('; '))
  return parsed.checkpoints
}

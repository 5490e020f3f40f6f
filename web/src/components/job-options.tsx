import { useEffect, useId } from 'react'
import type { ImageSize, Operation } from '../../../src/contracts/index.ts'
import { IMAGE_SIZES, imageSizeOf } from '../../../src/contracts/limits.ts'
import { sizeLabel } from '../format.ts'
import { modelChoices, useEngines } from '../use-engines.ts'

interface JobOptionsProps {
  operation: Operation
  model: string | null
  size: ImageSize
  onModel(model: string): void
  onSize(size: ImageSize): void
}

/** The engine (when the installation has more than one) and the image size of a job. */
export function JobOptions({ operation, model, size, onModel, onSize }: JobOptionsProps) {
  const engines = useEngines()
  const id = useId()
  const choices = engines ? modelChoices(engines, operation) : []
  const chosen = choices.find((c) => c.model === model) ?? choices[0]
  const sizes: readonly ImageSize[] = chosen?.engine.sizes ?? IMAGE_SIZES

  useEffect(() => {
    if (chosen && chosen.model !== model) onModel(chosen.model)
  }, [chosen, model, onModel])
  useEffect(() => {
    if (sizes.length > 0 && !sizes.includes(size))
      onSize(sizes.includes(1024) ? 1024 : sizes[sizes.length - 1]!)
  }, [sizes, size, onSize])

  return (
    <div className="options">
      {choices.length > 1 && (
        <div className="field field-inline">
          <label htmlFor={`${id}-engine`}>Engine</label>
          <select id={`${id}-engine`} value={chosen?.model ?? ''} onChange={(e) => onModel(e.target.value)}>
            {choices.map((c) => (
              <option key={c.model} value={c.model}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="field field-inline">
        <label htmlFor={`${id}-size`}>Size</label>
        <select
          id={`${id}-size`}
          value={size}
          onChange={(e) => onSize(imageSizeOf(Number(e.target.value)) ?? size)}
        >
          {sizes.map((s) => (
            <option key={s} value={s}>
              {sizeLabel(s)}
            </option>
          ))}
        </select>
      </div>
      {chosen?.engine.procedural && (
        <p className="hint options-hint">
          The built-in sketch engine draws procedural previews (no AI model); its images are labelled.
        </p>
      )}
    </div>
  )
}

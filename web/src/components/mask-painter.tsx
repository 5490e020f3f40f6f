import {
  type KeyboardEvent,
  type PointerEvent,
  type RefObject,
  useEffect,
  useId,
  useImperativeHandle,
  useRef,
  useState,
} from 'react'
import { canvasPng } from '../image-file.ts'
import { drawSegment, drawStep, MAX_STEPS, type Point, type Step, type Tool } from './mask-steps.ts'

export interface MaskHandle {
  /** Whether any area is painted. */
  painted(): boolean
  /**
   * The mask in OpenAI's convention: a PNG the image's size whose painted pixels are fully
   * transparent (alpha 0, "change this") and every other pixel opaque black ("keep this").
   */
  toPng(): Promise<Blob>
}

interface MaskPainterProps {
  imageUrl: string
  /** Pixels a side of the (square) image, and so of the mask. */
  size: number
  handle: RefObject<MaskHandle | null>
  onPaintedChange(painted: boolean): void
}

/** Whether a shortcut typed in a text field is the field's own (its text's undo, not the mask's). */
const isTextEntry = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))

/**
 * The mask canvas's context. The mask is read back (the eraser checks what is left, the edit sends
 * it), so the canvas is kept in memory rather than on the GPU; every call must ask the same way,
 * since only the first getContext's options count.
 */
const paintContext = (c: HTMLCanvasElement) => c.getContext('2d', { willReadFrequently: true })!

/**
 * Paint the area to change over the image: a brush of adjustable size, an eraser, clear, and undo
 * and redo (buttons, Ctrl/Cmd+Z, Shift+Ctrl/Cmd+Z or Ctrl+Y). Works with a pointer, and with the
 * keyboard (arrow keys move the brush, Space paints; Shift+arrows paint as they move).
 */
export function MaskPainter({ imageUrl, size, handle, onPaintedChange }: MaskPainterProps) {
  const id = useId()
  const canvas = useRef<HTMLCanvasElement>(null)
  const [tool, setTool] = useState<Tool>('brush')
  // Brush diameter as a share of the image side, so it feels the same at every image size.
  const [brush, setBrush] = useState(12)
  const [cursor, setCursor] = useState<{ x: number; y: number; visible: boolean }>({
    x: size / 2,
    y: size / 2,
    visible: false,
  })
  const [painted, setPainted] = useState(false)
  const last = useRef<Point | null>(null)
  const radius = (brush / 100) * size * 0.5
  // What undo takes back, and what redo puts back (emptied by any new step).
  const done = useRef<Step[]>([])
  const undone = useRef<Step[]>([])
  const [history, setHistory] = useState({ undo: 0, redo: 0 })
  const current = useRef<Extract<Step, { kind: 'stroke' }> | null>(null)
  // The picture older steps were folded into (see MAX_STEPS); null while every step can be undone.
  const base = useRef<ImageData | null>(null)

  useImperativeHandle(
    handle,
    () => ({
      painted: () => painted,
      async toPng() {
        const source = paintContext(canvas.current!).getImageData(0, 0, size, size)
        const out = document.createElement('canvas')
        out.width = size
        out.height = size
        const ctx = out.getContext('2d')!
        const mask = ctx.createImageData(size, size)
        const from = source.data
        const to = mask.data
        for (let i = 3; i < to.length; i += 4) to[i] = from[i]! > 0 ? 0 : 255
        ctx.putImageData(mask, 0, 0)
        return canvasPng(out)
      },
    }),
    [painted, size],
  )

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new image (or size) starts with a clean mask
  useEffect(() => {
    const c = canvas.current
    if (!c) return
    paintContext(c).clearRect(0, 0, c.width, c.height)
    done.current = []
    undone.current = []
    current.current = null
    base.current = null
    setHistory({ undo: 0, redo: 0 })
    setPainted(false)
    onPaintedChange(false)
  }, [imageUrl, size, onPaintedChange])

  const markPainted = (value: boolean) => {
    if (value !== painted) {
      setPainted(value)
      onPaintedChange(value)
    }
  }

  /** Records a new step: what was undone before it can no longer be redone. */
  const record = (step: Step) => {
    done.current.push(step)
    const oldest = done.current.length > MAX_STEPS ? done.current.shift() : undefined
    if (oldest) {
      // The oldest step is folded into the picture the others are drawn on: it can no longer be undone.
      const c = document.createElement('canvas')
      c.width = size
      c.height = size
      const ctx = paintContext(c)
      if (base.current) ctx.putImageData(base.current, 0, 0)
      drawStep(ctx, oldest)
      base.current = ctx.getImageData(0, 0, size, size)
    }
    undone.current = []
    setHistory({ undo: done.current.length, redo: 0 })
  }

  /** Draws a segment of the stroke under way (a pointer held down, or one key's paint). */
  const stroke = (from: Point, to: Point) => {
    if (!current.current) {
      current.current = { kind: 'stroke', tool, radius, segments: [] }
      record(current.current)
    }
    current.current.segments.push([from, to])
    drawSegment(paintContext(canvas.current!), tool, radius, from, to)
    if (tool === 'brush') markPainted(true)
    else markPainted(hasPaint())
  }
  const endStroke = () => {
    current.current = null
  }

  /** Draws the mask again from its steps: after an undo, which takes one away. */
  const redraw = () => {
    const ctx = paintContext(canvas.current!)
    ctx.clearRect(0, 0, size, size)
    if (base.current) ctx.putImageData(base.current, 0, 0)
    for (const step of done.current) drawStep(ctx, step)
    markPainted(hasPaint())
  }

  const undo = () => {
    const step = done.current.pop()
    if (!step) return
    endStroke()
    undone.current.push(step)
    redraw()
    setHistory({ undo: done.current.length, redo: undone.current.length })
  }

  const redo = () => {
    const step = undone.current.pop()
    if (!step) return
    endStroke()
    done.current.push(step)
    drawStep(paintContext(canvas.current!), step)
    markPainted(hasPaint())
    setHistory({ undo: done.current.length, redo: undone.current.length })
  }

  // Ctrl/Cmd+Z undoes, Shift+Ctrl/Cmd+Z and Ctrl+Y redo, wherever the focus is on the page except
  // in a text field (where they are the text's own).
  const shortcuts = useRef({ undo, redo })
  shortcuts.current = { undo, redo }
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || isTextEntry(event.target)) return
      const key = event.key.toLowerCase()
      if (key === 'z' && !event.shiftKey) shortcuts.current.undo()
      else if ((key === 'z' && event.shiftKey) || (key === 'y' && !event.shiftKey)) shortcuts.current.redo()
      else return
      event.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  const hasPaint = () => {
    const data = paintContext(canvas.current!).getImageData(0, 0, size, size).data
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) return true
    return false
  }

  const point = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect()
    return {
      x: ((event.clientX - rect.left) / rect.width) * size,
      y: ((event.clientY - rect.top) / rect.height) * size,
    }
  }

  const onPointerDown = (event: PointerEvent<HTMLCanvasElement>) => {
    if (event.button !== 0) return
    event.currentTarget.setPointerCapture(event.pointerId)
    const p = point(event)
    last.current = p
    stroke(p, p)
  }
  const onPointerMove = (event: PointerEvent<HTMLCanvasElement>) => {
    const p = point(event)
    setCursor({ ...p, visible: true })
    if (!last.current) return
    stroke(last.current, p)
    last.current = p
  }
  const onPointerUp = () => {
    last.current = null
    endStroke()
  }

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const step = Math.max(radius, size / 64)
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    }
    const move = moves[event.key]
    if (move) {
      event.preventDefault()
      const next = {
        x: Math.min(size, Math.max(0, cursor.x + move[0])),
        y: Math.min(size, Math.max(0, cursor.y + move[1])),
      }
      if (event.shiftKey) {
        stroke(cursor, next)
        endStroke()
      }
      setCursor({ ...next, visible: true })
    } else if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault()
      stroke(cursor, cursor)
      endStroke()
    }
  }

  const clear = () => {
    endStroke()
    record({ kind: 'clear' })
    const c = canvas.current!
    paintContext(c).clearRect(0, 0, c.width, c.height)
    markPainted(false)
  }

  return (
    <div className="painter">
      <div className="painter-tools">
        <fieldset className="segmented">
          <legend className="visually-hidden">Tool</legend>
          <button
            type="button"
            className="button button-small"
            aria-pressed={tool === 'brush'}
            onClick={() => setTool('brush')}
          >
            Brush
          </button>
          <button
            type="button"
            className="button button-small"
            aria-pressed={tool === 'eraser'}
            onClick={() => setTool('eraser')}
          >
            Eraser
          </button>
        </fieldset>
        <div className="field field-inline">
          <label htmlFor={`${id}-brush`}>Brush size</label>
          <input
            id={`${id}-brush`}
            type="range"
            min={2}
            max={40}
            value={brush}
            onChange={(e) => setBrush(Number(e.target.value))}
            aria-valuetext={`${Math.round(radius * 2)} pixels`}
          />
        </div>
        <div className="button-row">
          <button
            type="button"
            className="button button-small"
            onClick={undo}
            disabled={history.undo === 0}
            aria-keyshortcuts="Control+Z Meta+Z"
            title="Undo (Ctrl+Z)"
          >
            Undo
          </button>
          <button
            type="button"
            className="button button-small"
            onClick={redo}
            disabled={history.redo === 0}
            aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y"
            title="Redo (Shift+Ctrl+Z or Ctrl+Y)"
          >
            Redo
          </button>
          <button
            type="button"
            className="button button-small button-quiet"
            onClick={clear}
            disabled={!painted}
          >
            Clear mask
          </button>
        </div>
      </div>
      <div className="painter-stage">
        <img src={imageUrl} alt="What you are editing" width={size} height={size} draggable={false} />
        <canvas
          ref={canvas}
          width={size}
          height={size}
          className={`painter-canvas tool-${tool}`}
          tabIndex={0}
          aria-label="Mask: paint over the area to change. Arrow keys move the brush, Space paints, Shift with arrows paints a line."
          aria-describedby={`${id}-status`}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={() => setCursor((c) => ({ ...c, visible: false }))}
          onKeyDown={onKeyDown}
          onFocus={() => setCursor((c) => ({ ...c, visible: true }))}
          onBlur={() => setCursor((c) => ({ ...c, visible: false }))}
          data-testid="mask-canvas"
        />
        <div
          className="painter-cursor"
          aria-hidden="true"
          style={{
            left: `${(cursor.x / size) * 100}%`,
            top: `${(cursor.y / size) * 100}%`,
            width: `${((radius * 2) / size) * 100}%`,
            height: `${((radius * 2) / size) * 100}%`,
            opacity: cursor.visible ? 1 : 0,
          }}
        />
      </div>
      <p id={`${id}-status`} className="hint" aria-live="polite">
        {painted
          ? 'The painted area will be changed; the rest is kept.'
          : 'Nothing painted yet: paint the area to change.'}
      </p>
    </div>
  )
}

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

type Tool = 'brush' | 'eraser'

/**
 * The mask canvas's context. The mask is read back (the eraser checks what is left, the edit sends
 * it), so the canvas is kept in memory rather than on the GPU; every call must ask the same way,
 * since only the first getContext's options count.
 */
const paintContext = (c: HTMLCanvasElement) => c.getContext('2d', { willReadFrequently: true })!

/**
 * Paint the area to change over the image: a brush of adjustable size, an eraser, and clear.
 * Works with a pointer, and with the keyboard (arrow keys move the brush, Space paints;
 * Shift+arrows paint as they move).
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
  const last = useRef<{ x: number; y: number } | null>(null)
  const radius = (brush / 100) * size * 0.5

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
    setPainted(false)
    onPaintedChange(false)
  }, [imageUrl, size, onPaintedChange])

  const markPainted = (value: boolean) => {
    if (value !== painted) {
      setPainted(value)
      onPaintedChange(value)
    }
  }

  const stroke = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    const ctx = paintContext(canvas.current!)
    ctx.globalCompositeOperation = tool === 'eraser' ? 'destination-out' : 'source-over'
    ctx.strokeStyle = '#ff2d6f'
    ctx.fillStyle = '#ff2d6f'
    ctx.lineCap = 'round'
    ctx.lineJoin = 'round'
    ctx.lineWidth = radius * 2
    ctx.beginPath()
    if (from.x === to.x && from.y === to.y) {
      ctx.arc(to.x, to.y, radius, 0, Math.PI * 2)
      ctx.fill()
    } else {
      ctx.moveTo(from.x, from.y)
      ctx.lineTo(to.x, to.y)
      ctx.stroke()
    }
    if (tool === 'brush') markPainted(true)
    else markPainted(hasPaint())
  }

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
      if (event.shiftKey) stroke(cursor, next)
      setCursor({ ...next, visible: true })
    } else if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault()
      stroke(cursor, cursor)
    }
  }

  const clear = () => {
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
        <button
          type="button"
          className="button button-small button-quiet"
          onClick={clear}
          disabled={!painted}
        >
          Clear mask
        </button>
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

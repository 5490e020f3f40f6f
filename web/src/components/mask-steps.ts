// The mask editor's drawing model: strokes and clears as steps, replayed for undo and redo.

export type Tool = 'brush' | 'eraser'

export interface Point {
  x: number
  y: number
}

/**
 * One step that undo takes back: a stroke (every segment from pointer down to up, or one key's
 * paint) or a clear. Steps are kept as drawing, not pixels, so that a long history of a 1024-pixel
 * mask costs a few numbers a step instead of 4 MB.
 */
export type Step =
  | { kind: 'stroke'; tool: Tool; radius: number; segments: [Point, Point][] }
  | { kind: 'clear' }

/** Steps undo can take back (beyond them, the oldest are forgotten). */
export const MAX_STEPS = 200

export function drawSegment(
  ctx: CanvasRenderingContext2D,
  tool: Tool,
  radius: number,
  from: Point,
  to: Point,
): void {
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
}

export function drawStep(ctx: CanvasRenderingContext2D, step: Step): void {
  if (step.kind === 'clear') ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height)
  else for (const [from, to] of step.segments) drawSegment(ctx, step.tool, step.radius, from, to)
}

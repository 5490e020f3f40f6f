/**
 * Fills unknown pixels with a smooth continuation of the known ones (push–pull: average the known
 * colours down a pyramid of halvings, then pull the averages back up into the gaps). An edit's
 * fill starts from this, so it carries the colours around the hole into it.
 *
 * `colour` is float RGB of a `width × height` image; `known` is per pixel in [0, 1]. Returns a new
 * float RGB image where known pixels keep their colour and unknown ones get the continuation.
 */
export function fillHoles(
  colour: Float32Array,
  known: Float32Array,
  width: number,
  height: number,
): Float32Array {
  if (width <= 1 && height <= 1) return colour.slice()
  const w2 = Math.ceil(width / 2)
  const h2 = Math.ceil(height / 2)
  const smallColour = new Float32Array(w2 * h2 * 3)
  const smallKnown = new Float32Array(w2 * h2)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x
      const w = known[p]!
      if (w <= 0) continue
      const q = (y >> 1) * w2 + (x >> 1)
      smallKnown[q]! += w
      smallColour[q * 3]! += colour[p * 3]! * w
      smallColour[q * 3 + 1]! += colour[p * 3 + 1]! * w
      smallColour[q * 3 + 2]! += colour[p * 3 + 2]! * w
    }
  }
  for (let q = 0; q < smallKnown.length; q++) {
    const w = smallKnown[q]!
    if (w <= 0) continue
    smallColour[q * 3]! /= w
    smallColour[q * 3 + 1]! /= w
    smallColour[q * 3 + 2]! /= w
    smallKnown[q] = Math.min(1, w)
  }
  const coarse = fillHoles(smallColour, smallKnown, w2, h2)
  const out = new Float32Array(width * height * 3)
  const cols = coarseCells(width, w2)
  const rows = coarseCells(height, h2)
  for (let y = 0; y < height; y++) {
    const y0 = rows.first[y]!
    const y1 = rows.second[y]!
    const wy = rows.weight[y]!
    for (let x = 0; x < width; x++) {
      const p = y * width + x
      const w = known[p]!
      if (w >= 1) {
        out[p * 3] = colour[p * 3]!
        out[p * 3 + 1] = colour[p * 3 + 1]!
        out[p * 3 + 2] = colour[p * 3 + 2]!
        continue
      }
      const x0 = cols.first[x]!
      const x1 = cols.second[x]!
      const wx = cols.weight[x]!
      for (let c = 0; c < 3; c++) {
        const top = coarse[(y0 * w2 + x0) * 3 + c]! * (1 - wx) + coarse[(y0 * w2 + x1) * 3 + c]! * wx
        const bottom = coarse[(y1 * w2 + x0) * 3 + c]! * (1 - wx) + coarse[(y1 * w2 + x1) * 3 + c]! * wx
        const guess = top + (bottom - top) * wy
        out[p * 3 + c] = colour[p * 3 + c]! * w + guess * (1 - w)
      }
    }
  }
  return out
}

/** For each fine coordinate, the two coarse cells around it and the weight of the second. */
function coarseCells(fine: number, coarse: number) {
  const first = new Int32Array(fine)
  const second = new Int32Array(fine)
  const weight = new Float32Array(fine)
  const last = coarse - 1
  for (let v = 0; v < fine; v++) {
    const f = Math.min(Math.max((v + 0.5) / 2 - 0.5, 0), last)
    first[v] = Math.floor(f)
    second[v] = Math.min(first[v]! + 1, last)
    weight[v] = f - first[v]!
  }
  return { first, second, weight }
}

/** A rectangle of pixels: `left`, `top` inclusive, `right`, `bottom` exclusive. */
export interface Region {
  left: number
  top: number
  right: number
  bottom: number
}

/**
 * `fillHoles` on one region of a square float RGB image of `size`, in place: a hole far smaller
 * than the picture only needs its surroundings, not the whole pyramid.
 */
export function fillRegion(colour: Float32Array, known: Float32Array, size: number, region: Region): void {
  const width = region.right - region.left
  const height = region.bottom - region.top
  const cropColour = new Float32Array(width * height * 3)
  const cropKnown = new Float32Array(width * height)
  for (let y = 0; y < height; y++) {
    const from = (region.top + y) * size + region.left
    cropColour.set(colour.subarray(from * 3, (from + width) * 3), y * width * 3)
    cropKnown.set(known.subarray(from, from + width), y * width)
  }
  const filled = fillHoles(cropColour, cropKnown, width, height)
  for (let y = 0; y < height; y++) {
    colour.set(
      filled.subarray(y * width * 3, (y + 1) * width * 3),
      ((region.top + y) * size + region.left) * 3,
    )
  }
}

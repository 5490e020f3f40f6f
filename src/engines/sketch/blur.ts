/**
 * Box blur of a `width × height` image of `channels` interleaved floats per pixel, in place, `passes` times
 * (three passes approach a Gaussian). Running sums make the cost independent of `radius`; the
 * vertical pass keeps one running sum per column and walks rows, so it reads memory in order.
 */
export function boxBlur(
  data: Float32Array,
  width: number,
  height: number,
  radius: number,
  passes = 2,
  channels = 3,
): void {
  const r = Math.max(1, Math.round(radius))
  const tmp = new Float32Array(data.length)
  for (let p = 0; p < passes; p++) {
    blurRows(data, tmp, width, height, Math.min(r, width - 1), channels)
    blurColumns(tmp, data, width, height, Math.min(r, height - 1), channels)
  }
}

function blurRows(
  src: Float32Array,
  dst: Float32Array,
  n: number,
  height: number,
  r: number,
  channels: number,
) {
  const inv = 1 / (2 * r + 1)
  const last = n - 1
  const stride = n * channels
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < channels; c++) {
      const row = y * stride + c
      const first = src[row]!
      const end = src[row + last * channels]!
      let sum = first * (r + 1)
      for (let k = 1; k <= r; k++) sum += src[row + k * channels]!
      // Three stretches, so the loop over the middle has no edge tests.
      let x = 0
      for (; x <= r && x < n; x++) {
        dst[row + x * channels] = sum * inv
        sum += src[row + Math.min(x + r + 1, last) * channels]! - first
      }
      for (; x < n - r - 1; x++) {
        dst[row + x * channels] = sum * inv
        sum += src[row + (x + r + 1) * channels]! - src[row + (x - r) * channels]!
      }
      for (; x < n; x++) {
        dst[row + x * channels] = sum * inv
        sum += end - src[row + (x - r) * channels]!
      }
    }
  }
}

function blurColumns(
  src: Float32Array,
  dst: Float32Array,
  width: number,
  n: number,
  r: number,
  channels: number,
) {
  const inv = 1 / (2 * r + 1)
  const last = n - 1
  const stride = width * channels
  const sums = new Float64Array(stride)
  for (let k = -r; k <= r; k++) {
    const row = (k < 0 ? 0 : Math.min(k, last)) * stride
    for (let i = 0; i < stride; i++) sums[i]! += src[row + i]!
  }
  for (let y = 0; y < n; y++) {
    const out = y * stride
    const add = Math.min(y + r + 1, last) * stride
    const remove = Math.max(y - r, 0) * stride
    for (let i = 0; i < stride; i++) {
      const s = sums[i]!
      dst[out + i] = s * inv
      sums[i] = s + src[add + i]! - src[remove + i]!
    }
  }
}

import { describe, expect, it } from 'vitest'
import { cropToAspect, decodePng, encodePng, type RgbaImage, toSizedPng } from '../../src/images/png.ts'

/** `width` × `height`, white, with its first `dark` rows black. */
function banded(width: number, height: number, dark: number): RgbaImage {
  const data = new Uint8Array(width * height * 4).fill(255)
  for (let i = 0; i < width * dark; i++) data.set([0, 0, 0, 255], i * 4)
  return { width, height, data }
}

describe('toSizedPng: an engine output at exactly the width and height asked for', () => {
  it('keeps bytes already that size, and scales a picture of the same shape', () => {
    const png = encodePng(banded(150, 100, 0))
    const same = toSizedPng(png, 150, 100)
    expect(same.ok && same.png).toBe(png)
    const scaled = toSizedPng(encodePng(banded(300, 200, 0)), 150, 100)
    expect(scaled.ok && decodePng(scaled.png)).toMatchObject({ width: 150, height: 100 })
  })

  it('cuts a picture of another shape to the middle (a cover crop) instead of squashing it', () => {
    // A square with a black band along its top: made landscape, the band is cut away.
    const sized = toSizedPng(encodePng(banded(100, 100, 10)), 150, 100)
    expect(sized.ok).toBe(true)
    const out = decodePng(sized.ok ? sized.png : Buffer.alloc(0))
    expect([out.width, out.height]).toEqual([150, 100])
    expect(out.data[0]).toBeGreaterThan(200) // squashed, the top row would be black
    // Made portrait instead, nothing of the height is lost: the band is still at the top.
    const tall = toSizedPng(encodePng(banded(100, 100, 10)), 100, 150)
    const portrait = decodePng(tall.ok ? tall.png : Buffer.alloc(0))
    expect([portrait.width, portrait.height]).toEqual([100, 150])
    expect(portrait.data[0]).toBeLessThan(50)
  })

  it('crops to the middle of the longer side', () => {
    const wide = cropToAspect(banded(300, 100, 0), 1)
    expect([wide.width, wide.height]).toEqual([100, 100])
    const same = banded(150, 100, 0)
    expect(cropToAspect(same, 1.5)).toBe(same)
  })

  it('says what is wrong with bytes that are not a PNG', () => {
    expect(toSizedPng(Buffer.from('not a png'), 150, 100)).toEqual({ ok: false, problem: 'not a PNG' })
  })
})

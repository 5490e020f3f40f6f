import { describe, expect, it } from 'vitest'
import { EngineError } from '../../src/engines/engine.ts'
import { upstreamImage } from '../../src/engines/upstream-image.ts'
import { decodePng, encodePng, pngInfo, toSquarePng } from '../../src/images/png.ts'

function stripes(width: number, height: number): Buffer {
  const data = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) data.set(i % 2 ? [255, 0, 0, 255] : [0, 0, 255, 255], i * 4)
  return encodePng({ width, height, data })
}

describe('toSquarePng, the one normaliser of engine outputs', () => {
  it('keeps a PNG already the size asked for, byte for byte', () => {
    const png = stripes(256, 256)
    const square = toSquarePng(png, 256)
    expect(square.ok && square.png).toBe(png)
  })

  it('scales any other size to the square, halving first so fine detail averages out', () => {
    const square = toSquarePng(stripes(1024, 1024), 256)
    expect(square.ok).toBe(true)
    const image = decodePng(square.ok ? square.png : Buffer.alloc(0))
    expect([image.width, image.height]).toEqual([256, 256])
    // Alternating red and blue columns average to purple, not to one of the two.
    expect(Math.abs(image.data[0]! - image.data[2]!)).toBeLessThan(8)
    const wide = toSquarePng(stripes(300, 200), 512)
    expect(wide.ok && pngInfo(wide.png)).toMatchObject({ width: 512, height: 512 })
  })

  it('says what is wrong with bytes that are not a readable PNG', () => {
    expect(toSquarePng(Buffer.from('<html>not an image</html>'), 256)).toEqual({
      ok: false,
      problem: 'not a PNG',
    })
    const truncated = stripes(512, 512).subarray(0, 60)
    expect(toSquarePng(truncated, 256)).toMatchObject({ ok: false, problem: 'damaged' })
  })
})

describe('upstreamImage', () => {
  it("fails the run with UPSTREAM_ERROR naming the upstream and, for a non-PNG, the engine's hint", () => {
    const notPng = () =>
      upstreamImage(Buffer.from('GIF89a…'), '256x256', 'the WebUI at x', ' (set it to png)')
    expect(notPng).toThrow(EngineError)
    expect(notPng).toThrow('the WebUI at x returned an image that is not a PNG (set it to png)')
    expect(() => upstreamImage(stripes(512, 512).subarray(0, 60), '256x256', 'OpenAI at y')).toThrow(
      'OpenAI at y returned a damaged PNG',
    )
    expect(upstreamImage(stripes(512, 512), '256x256', 'OpenAI at y')).toMatchObject({
      width: 256,
      height: 256,
    })
  })
})

import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import {
  IMAGES,
  image,
  MASK_256,
  MULTIPART,
  MULTIPART_ROUTES,
  type MultipartRoute,
  multipart,
  multipartBody,
  PNG_256,
} from './multipart.ts'
import { ID_TAIL, post, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of the routes that take uploads: POST /v1/images/edits,
// POST /v1/images/variations and POST /api/jobs as multipart.

function multipartRefusals(route: MultipartRoute): Refusal[] {
  const f = route.fields
  const valid = [...f, image(PNG_256)]
  const truncated = (() => {
    const whole = multipartBody(valid)
    // Cut inside the image's bytes: no closing boundary ever comes.
    return whole.subarray(0, whole.length - Math.floor(PNG_256.length / 2))
  })()
  const bad = (name: string, file: Buffer, message: RegExp): Refusal => ({
    name,
    request: multipart(route, [...f, image(file)]),
    status: 400,
    message,
    param: 'image',
  })
  const cases: Refusal[] = [
    {
      name: 'multipart without a boundary',
      request: send({
        method: 'POST',
        url: route.url,
        raw: multipartBody(valid),
        type: 'multipart/form-data',
      }),
      status: 400,
      message: /multipart|boundary/i,
    },
    {
      name: 'a truncated multipart body (cut inside the image, no closing boundary)',
      request: send({ method: 'POST', url: route.url, raw: truncated, type: MULTIPART }),
      status: 400,
      message: /multipart|end|truncated|incomplete/i,
    },
    {
      name: 'a body that is not multipart under a multipart content type',
      request: send({ method: 'POST', url: route.url, raw: 'this is not a form', type: MULTIPART }),
      status: 400,
      message: /multipart|boundary|form/i,
    },
    {
      name: 'an image field with an empty file',
      request: multipart(route, [...f, image(Buffer.alloc(0))]),
      status: 400,
      message: /image is required/,
      param: 'image',
    },
    {
      name: 'the image sent as a text field, not a file',
      request: multipart(route, [...f, { name: 'image', value: PNG_256.toString('latin1') }]),
      status: 400,
      message: /image must be sent as a file/,
      param: 'image',
    },
    {
      name: 'two images',
      request: multipart(route, [...f, image(PNG_256), image(PNG_256)]),
      status: 400,
      message: /image: send one image/,
      param: 'image',
    },
    bad('a GIF instead of a PNG', IMAGES.gif, /image must be a PNG image/),
    // JPEG is taken (as gpt-image takes it); this one is cut off after its header: no image data.
    bad(
      'a JPEG cut off after its header (no image data)',
      IMAGES.jpeg,
      /image is a damaged or incomplete JPEG/,
    ),
    bad('a PNG whose IDAT is corrupted', IMAGES.corruptIdat, /image is a damaged or incomplete PNG/),
    bad('a 1x1 PNG', IMAGES.onePixel, /image must be at least 16 pixels wide and high \(it is 1x1\)/),
    bad(
      'a header-only PNG claiming 5000x5000',
      IMAGES.headerOnly5000,
      /image is 5000x5000 \(25000000 pixels\); at most 16777216 pixels/,
    ),
    bad(
      'a header-only PNG claiming 4096x4096 (the largest allowed)',
      IMAGES.headerOnly4096,
      /damaged or incomplete PNG/,
    ),
    // A PNG that is not square is taken and cut to its centred square (test/http/uploads.test.ts).
    {
      name: 'an image over the upload limit',
      request: multipart(route, [...f, image(IMAGES.tooLarge)]),
      status: 413,
      message: /image must be at most 1 MB/,
      param: 'image',
    },
    {
      name: 'an unexpected file field',
      request: multipart(route, [...f, image(PNG_256), image(PNG_256, 'photo')]),
      status: 400,
      message: /photo: unexpected file field/,
      param: 'photo',
    },
    {
      name: 'five files (more than the four a form may carry)',
      request: multipart(route, [...f, ...Array.from({ length: 5 }, () => image(PNG_256, 'image[]'))]),
      status: [400, 413],
      message: /at most 4 files|too many files/i,
    },
    {
      name: '31 text fields (more than the 30 a form may carry)',
      request: multipart(route, [
        ...f,
        ...Array.from({ length: 31 }, (_, i) => ({ name: `extra${i}`, value: 'x' })),
        image(PNG_256),
      ]),
      status: [400, 413],
      message: /at most 30 fields|too many fields/i,
    },
    {
      name: 'form-urlencoded instead of multipart',
      request: send({
        method: 'POST',
        url: route.url,
        raw: 'prompt=add+a+red+boat&n=1',
        type: 'application/x-www-form-urlencoded',
      }),
      status: 415,
      message: /content type/i,
    },
    {
      name: 'an Idempotency-Key of 300 characters',
      request: multipart(route, valid, { headers: { 'idempotency-key': 'k'.repeat(300) } }),
      status: 400,
      message: /Idempotency-Key must be 1 to 255 characters/,
      param: 'Idempotency-Key',
    },
    {
      name: 'no credentials (and an empty form): refused as unauthenticated, before the form is read',
      request: send({
        method: 'POST',
        url: route.url,
        raw: multipartBody([]),
        type: MULTIPART,
        as: 'nobody',
      }),
      status: 401,
      message: route.v1 ? /API key/ : /sign in/,
      code: route.v1 ? 'invalid_api_key' : 'UNAUTHENTICATED',
    },
    {
      name: 'a session cookie without the CSRF token',
      request: multipart(route, valid, { as: 'cookie-without-csrf' }),
      status: 403,
      message: /x-csrf-token/,
      code: route.v1 ? 'csrf' : 'CSRF',
    },
  ]
  // Decompression: refused from the header, for the price of reading it, before anything is inflated.
  const decompression = (file: 'image' | 'mask') =>
    (
      [
        ['a tiny PNG whose IHDR declares 20000x20000', IMAGES.headerOnly20000, /20000x20000/],
        ['a zlib bomb: 16 KB declaring 20000x20000 that inflate to 16 MB', IMAGES.bomb20000, /20000x20000/],
        [
          'a zlib bomb of 16-bit samples: 4096x4096 that would take 128 MB once decoded',
          IMAGES.bomb4096x16bit,
          /once decoded|pixels|too large/i,
        ],
      ] as const
    ).map(
      ([what, bytes, message]): Refusal => ({
        name: `${file === 'mask' ? 'a mask that is ' : ''}${what}`,
        request: multipart(route, [
          ...f,
          image(file === 'image' ? bytes : PNG_256),
          ...(file === 'mask' ? [image(bytes, 'mask')] : []),
        ]),
        status: [400, 413],
        message: new RegExp(`^${file} .*(${message.source})`, message.flags),
        param: file,
      }),
    )
  cases.push(...decompression('image'), {
    name: 'a zlib bomb in a small PNG: 64x64 declared, its image data inflating to 16 MB',
    request: multipart(route, [...f, image(IMAGES.bombIn64)]),
    status: [400, 413],
    message: /^image .*(damaged|incomplete|too much|too large)/i,
    param: 'image',
  })
  if (route.takesMask) cases.push(...decompression('mask'))
  // What the route takes (an image, and a mask where it takes one), and one file more.
  const files = [image(PNG_256), ...(route.takesMask ? [image(MASK_256, 'mask')] : [])]
  // Each file under the 1 MB upload limit and each field under 64 KB, but 2.4 MB in all: over the
  // whole form's limit (two files at the upload limit and 256 KB for the rest).
  const oversized = [
    ...f,
    ...Array.from({ length: 24 }, (_, i) => ({ name: `note${i}`, value: 'n'.repeat(60 * 1024) })),
    image(IMAGES.almostTooLarge),
  ]
  cases.push(
    {
      name: `${files.length + 1} files, one more than the ${files.length} it takes`,
      request: multipart(route, [...f, ...files, image(PNG_256, 'image[]')]),
      status: [400, 413],
      message: /too many files|send one image|at most \d+ files/i,
    },
    {
      name: 'a body of 2.4 MB, over the whole form’s limit though each part is under its own',
      request: multipart(route, oversized),
      status: [400, 413],
      message: /too large|at most/i,
    },
    {
      name: 'a body of 2.4 MB sent without a Content-Length (chunked)',
      request: async (c) => {
        const built = await multipart(route, oversized)(c)
        return { ...built, payload: Readable.from([built.payload as Buffer]) }
      },
      status: [400, 413],
      message: /too large|at most/i,
    },
    {
      name: 'a gzip bomb sent as the body with content-encoding: gzip',
      request: send({
        method: 'POST',
        url: route.url,
        raw: gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 }),
        type: MULTIPART,
        headers: { 'content-encoding': 'gzip' },
      }),
      status: [400, 415],
      message: /encoding|multipart|boundary|form/i,
    },
  )
  if (route.v1) {
    cases.push(
      {
        name: 'JSON instead of multipart',
        request: post(route.url, { prompt: 'add a red boat', image: PNG_256.toString('base64') }),
        status: 415,
        message: /multipart\/form-data/,
      },
      {
        name: 'text/plain instead of multipart',
        request: send({ method: 'POST', url: route.url, raw: 'add a red boat', type: 'text/plain' }),
        status: 415,
        message: /multipart\/form-data/,
      },
      {
        name: 'n that is not a number',
        request: multipart(route, [
          ...f.filter((p) => p.name !== 'n'),
          { name: 'n', value: 'three' },
          image(PNG_256),
        ]),
        status: 400,
        message: /^n: /,
        param: 'n',
      },
      {
        name: 'response_format xml',
        request: multipart(route, [...valid, { name: 'response_format', value: 'xml' }]),
        status: 400,
        message: /response_format: must be url or b64_json/,
        param: 'response_format',
      },
      {
        name: 'a size the engines do not make (100x100)',
        request: multipart(route, [
          ...f.filter((p) => p.name !== 'size'),
          { name: 'size', value: '100x100' },
          image(PNG_256),
        ]),
        status: 400,
        message: /size:? must be 256x256, 512x512, 1024x1024, 1536x1024/,
        param: 'size',
      },
    )
  }
  if (route.takesMask) {
    cases.push(
      {
        name: 'a mask of another size than the image',
        request: multipart(route, [...valid, image(IMAGES.mask128, 'mask')]),
        status: 400,
        message: /mask must be the same size as the image \(256x256\), not 128x128/,
        param: 'mask',
      },
      {
        name: 'a mask without any transparent pixel',
        request: multipart(route, [...valid, image(IMAGES.opaqueMask, 'mask')]),
        status: 400,
        message: /mask must have transparency/,
        param: 'mask',
      },
      {
        name: 'a GIF as the mask',
        request: multipart(route, [...valid, image(IMAGES.gif, 'mask')]),
        status: 400,
        message: /mask must be a PNG image/,
        param: 'mask',
      },
      {
        name: 'a mask and no image',
        request: multipart(route, [...f, image(MASK_256, 'mask')]),
        status: 400,
        message: /image is required/,
        param: 'image',
      },
    )
  } else {
    cases.push({
      name: 'a mask, which variations do not take',
      request: multipart(route, [...valid, image(MASK_256, 'mask')]),
      status: 400,
      message: /mask: unexpected file field/,
      param: 'mask',
    })
  }
  if (route.url === '/api/jobs') {
    cases.push(
      {
        name: 'an uploaded image and an imageId',
        request: multipart(route, [...valid, { name: 'imageId', value: `img_${ID_TAIL}` }]),
        status: 400,
        message: /imageId: give an imageId or upload an image, not both/,
      },
      {
        name: 'an image uploaded for a generation',
        request: multipart(route, [
          ...f.filter((p) => p.name !== 'kind'),
          { name: 'kind', value: 'generate' },
          image(PNG_256),
        ]),
        status: 400,
        message: /image is only for edits and variations/,
      },
    )
  }
  return cases
}

sweep((s) => {
  s.accepts(
    MULTIPART_ROUTES.map((r) => [
      r.label,
      multipart(r, [...r.fields, image(PNG_256), ...(r.takesMask ? [image(MASK_256, 'mask')] : [])]),
      r.v1 ? 200 : 202,
    ]),
  )
  for (const route of MULTIPART_ROUTES) s.refuses(route.label, multipartRefusals(route))
})

import {
  type Ctx,
  get,
  ID_TAIL,
  inPath,
  NOT_IDS,
  pagination,
  pathIdRefusal,
  post,
  type Refusal,
  send,
} from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of moderation: reports of images (POST /api/image-reports), and
// the administrators' list of reports, removal of an image and dismissal of a report.

/** The signed link of the other account's favourite, as Easel hands it out. */
const linkOf = (c: Ctx, change: Partial<{ file: string; expires: number; signature: string }> = {}) => {
  const l = { ...c.f.link, ...change }
  return `http://127.0.0.1/files/images/${l.file}?expires=${l.expires}&signature=${l.signature}`
}

const REPORTS: Refusal[] = [
  {
    name: 'no body',
    request: send({ method: 'POST', url: '/api/image-reports' }),
    status: 400,
    message: /./,
  },
  {
    name: 'neither imageId nor url',
    request: post('/api/image-reports', { reason: 'offensive' }),
    status: 400,
    message: /imageId: give the image/,
  },
  {
    name: 'both imageId and url',
    request: async (c) =>
      post('/api/image-reports', { imageId: c.f.otherPlainId, url: linkOf(c), reason: 'x' })(c),
    status: 400,
    message: /not both/,
  },
  ...(
    [
      ['no reason', {}, /reason: /],
      ['an empty reason', { reason: '' }, /reason: say why/],
      ['a reason of spaces', { reason: '   ' }, /reason: say why/],
      ['a reason of 401 characters', { reason: 'r'.repeat(401) }, /reason: must be at most 400 characters/],
      ['a reason that is a number', { reason: 7 }, /reason: /],
      ['a reason that is a list', { reason: ['bad'] }, /reason: /],
      ['a reason holding a NUL', { reason: 'bad\u0000' }, /reason must not contain NUL/],
    ] as const
  ).map(([what, body, message]) => ({
    name: `a report of one's own image with ${what}`,
    request: async (c: Ctx) => {
      // An image of the caller's does not exist: these are refused before the image is looked at.
      return post('/api/image-reports', { imageId: `img_${ID_TAIL}`, ...body })(c)
    },
    status: 400,
    message,
  })),
  ...NOT_IDS.map(([what, id]) => ({
    name: `imageId that is ${what}`,
    request: post('/api/image-reports', { imageId: id('img'), reason: 'offensive' }),
    status: 400,
    message: /imageId: must be an img_… id/,
  })),
  {
    name: 'an image id of no image',
    request: post('/api/image-reports', { imageId: `img_${ID_TAIL}`, reason: 'offensive' }),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'an image id of another account (without its link)',
    request: async (c) => post('/api/image-reports', { imageId: c.f.otherPlainId, reason: 'offensive' })(c),
    status: 404,
    message: /no image img_/,
  },
  ...(
    [
      [
        'a url that is not a link of Easel’s',
        'https://example.com/cat.png',
        400,
        /url must be the link Easel gave/,
      ],
      ['a url that is not a URL', 'not a link at all', 400, /url must be the link Easel gave/],
      ['an empty url', '', 400, /url: /],
      [
        'a url of 2 001 characters',
        `https://e.test/${'a'.repeat(1986)}`,
        400,
        /url: must be at most 2000 characters/,
      ],
      [
        'a link without its signature',
        'http://127.0.0.1/files/images/x.png?expires=1',
        400,
        /url must be the link/,
      ],
    ] as const
  ).map(([what, url, status, message]) => ({
    name: `a report by ${what}`,
    request: post('/api/image-reports', { url, reason: 'offensive' }),
    status,
    message,
  })),
  {
    name: 'a report by a link with a tampered signature',
    request: async (c) =>
      post('/api/image-reports', { url: linkOf(c, { signature: flip(c.f.link.signature) }), reason: 'x' })(c),
    status: 404,
    message: /this image link is not valid or has expired/,
  },
  {
    name: 'a report by a link with a later expiry under the same signature',
    request: async (c) =>
      post('/api/image-reports', { url: linkOf(c, { expires: c.f.link.expires + 1 }), reason: 'x' })(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a report by a correctly signed link that has expired',
    request: async (c) => {
      const expires = c.t.server.services.clock.now() - 1000
      const signature = c.t.server.services.signer.sign(c.f.otherPlainId, expires)
      return post('/api/image-reports', {
        url: linkOf(c, { file: `${c.f.otherPlainId}.png`, expires, signature }),
        reason: 'x',
      })(c)
    },
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a report by the signature of another image',
    request: async (c) =>
      post('/api/image-reports', { url: linkOf(c, { file: `${c.f.otherPlainId}.png` }), reason: 'x' })(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a report without credentials',
    request: async (c) => post('/api/image-reports', { url: linkOf(c), reason: 'x' }, { as: 'nobody' })(c),
    status: 401,
    message: /sign in first/,
  },
  {
    name: 'a report from a browser session without its CSRF token',
    request: async (c) =>
      post('/api/image-reports', { url: linkOf(c), reason: 'x' }, { as: 'cookie-without-csrf' })(c),
    status: 403,
    message: /x-csrf-token/,
  },
]

const ADMIN: Refusal[] = [
  ...pagination('/api/admin/image-reports', 100),
  {
    name: 'GET /api/admin/image-reports with status=closed',
    request: get('/api/admin/image-reports?status=closed', { as: 'admin' }),
    status: 400,
    message: /status: must be open or resolved/,
  },
  {
    name: 'GET /api/admin/image-reports with a cursor that is not a report id',
    request: get(`/api/admin/image-reports?before=img_${ID_TAIL}`, { as: 'admin' }),
    status: 400,
    message: /before: must be a rep_… id/,
  },
  {
    name: 'GET /api/admin/image-reports by a user who is not an administrator',
    request: get('/api/admin/image-reports'),
    status: 403,
    message: /only administrators/,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `POST /api/admin/images/:id/remove with ${what}`,
    request: post(`/api/admin/images/${inPath(id('img'))}/remove`, { reason: 'x' }, { as: 'admin' }),
    ...pathIdRefusal(what, 'img'),
  })),
  ...(
    [
      ['no reason', {}, /reason: /],
      ['an empty reason', { reason: '' }, /reason: say why/],
      ['a reason of 401 characters', { reason: 'r'.repeat(401) }, /reason: must be at most 400 characters/],
      ['a reason that is an object', { reason: { text: 'x' } }, /reason: /],
    ] as const
  ).map(([what, body, message]) => ({
    name: `POST /api/admin/images/:id/remove with ${what}`,
    request: async (c: Ctx) => post(`/api/admin/images/${c.f.otherPlainId}/remove`, body, { as: 'admin' })(c),
    status: 400,
    message,
  })),
  {
    name: 'POST /api/admin/images/:id/remove of no image',
    request: post(`/api/admin/images/img_${ID_TAIL}/remove`, { reason: 'x' }, { as: 'admin' }),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'POST /api/admin/images/:id/remove by a user who is not an administrator',
    request: async (c) => post(`/api/admin/images/${c.f.otherPlainId}/remove`, { reason: 'mine now' })(c),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'POST /api/admin/images/:id/remove of one’s own image by a user who is not an administrator',
    request: async (c) =>
      post(`/api/admin/images/${c.f.otherPlainId}/remove`, { reason: 'x' }, { as: 'session' })(c),
    status: 403,
    message: /only administrators/,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `POST /api/admin/image-reports/:id/dismiss with ${what}`,
    request: post(`/api/admin/image-reports/${inPath(id('rep'))}/dismiss`, {}, { as: 'admin' }),
    ...pathIdRefusal(what, 'rep'),
  })),
  {
    name: 'POST /api/admin/image-reports/:id/dismiss of no report',
    request: post(`/api/admin/image-reports/rep_${ID_TAIL}/dismiss`, {}, { as: 'admin' }),
    status: 404,
    message: /no report rep_/,
  },
  {
    name: 'POST /api/admin/image-reports/:id/dismiss with a reason of 401 characters',
    request: post(
      `/api/admin/image-reports/rep_${ID_TAIL}/dismiss`,
      { reason: 'r'.repeat(401) },
      { as: 'admin' },
    ),
    status: 400,
    message: /reason: must be at most 400 characters/,
  },
  {
    name: 'POST /api/admin/image-reports/:id/dismiss with a body that is a list',
    request: send({
      method: 'POST',
      url: `/api/admin/image-reports/rep_${ID_TAIL}/dismiss`,
      raw: '[]',
      as: 'admin',
    }),
    status: 400,
    message: /./,
  },
  {
    name: 'POST /api/admin/image-reports/:id/dismiss by a user who is not an administrator',
    request: post(`/api/admin/image-reports/rep_${ID_TAIL}/dismiss`, {}),
    status: 403,
    message: /only administrators/,
  },
]

/** One character of a base64url signature changed. */
const flip = (signature: string) => (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)

sweep((s) => {
  s.accepts([
    [
      'POST /api/image-reports by the signed link shared with the caller',
      async (c) => post('/api/image-reports', { url: linkOf(c), reason: 'offensive' })(c),
      201,
    ],
    [
      'GET /api/admin/image-reports?status=resolved&limit=100',
      get('/api/admin/image-reports?status=resolved&limit=100', { as: 'admin' }),
      200,
    ],
  ])
  s.refuses('reports of images (POST /api/image-reports)', REPORTS)
  s.refuses('the administrators’ moderation routes', ADMIN)
})

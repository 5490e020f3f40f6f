import { get, inPath, NOT_IDS, pagination, pathIdRefusal, post, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of images and their signed links, and of another account's
// jobs, images and keys (which must look exactly like objects that do not exist).

const IMAGE_ROUTES: Refusal[] = [
  ...pagination('/api/images', 200),
  {
    name: 'GET /api/images with favourites=1',
    request: get('/api/images?favourites=1'),
    status: 400,
    message: /favourites: /,
  },
  {
    name: 'GET /api/images with a cursor that is not an image id (SQL-looking)',
    request: get(`/api/images?before=${encodeURIComponent("img_' OR '1'='1")}`),
    status: 400,
    message: /before/,
  },
  {
    name: 'GET /api/images with a cursor holding a NUL',
    request: get('/api/images?before=img_%00'),
    status: 400,
    message: /before/,
  },
  ...NOT_IDS.flatMap(([what, id]) =>
    (
      [
        ['GET', ''],
        ['GET', '/content'],
        ['GET', '/download'],
        ['PUT', '/favourite'],
        ['DELETE', '/favourite'],
      ] as const
    ).map(([method, suffix]) => ({
      name: `${method} /api/images/:id${suffix} with ${what}`,
      request: send({ method, url: `/api/images/${inPath(id('img'))}${suffix}` }),
      ...pathIdRefusal(what, 'img'),
    })),
  ),
]

/** Another account's objects: "not found", exactly like ids that name nothing, and left as they were. */
const OTHER_ACCOUNT: Refusal[] = [
  {
    name: 'GET /api/jobs/:id of another account',
    request: async (c) => get(`/api/jobs/${c.f.otherJobId}`)(c),
    status: 404,
    message: /no job job_/,
  },
  {
    name: 'GET /api/jobs/:id/events of another account',
    request: async (c) => get(`/api/jobs/${c.f.otherJobId}/events`)(c),
    status: 404,
    message: /no job job_/,
  },
  {
    name: 'GET /api/images/:id of another account',
    request: async (c) => get(`/api/images/${c.f.otherFavouriteId}`)(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'GET /api/images/:id/content of another account',
    request: async (c) => get(`/api/images/${c.f.otherFavouriteId}/content`)(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'GET /api/images/:id/download of another account',
    request: async (c) => get(`/api/images/${c.f.otherFavouriteId}/download`)(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'PUT /api/images/:id/favourite of another account',
    request: async (c) => send({ method: 'PUT', url: `/api/images/${c.f.otherPlainId}/favourite` })(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'DELETE /api/images/:id/favourite of another account',
    request: async (c) => send({ method: 'DELETE', url: `/api/images/${c.f.otherFavouriteId}/favourite` })(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'POST /api/jobs varying an image of another account',
    request: async (c) => post('/api/jobs', { kind: 'variation', imageId: c.f.otherPlainId })(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'DELETE /api/keys/:id of another user',
    request: async (c) => send({ as: 'session', method: 'DELETE', url: `/api/keys/${c.f.otherKeyId}` })(c),
    status: 404,
    message: /API key key_/,
  },
  {
    name: 'DELETE /api/admin/keys/:id by a user who is not an administrator',
    request: async (c) => send({ method: 'DELETE', url: `/api/admin/keys/${c.f.otherKeyId}` })(c),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'POST /api/admin/grants to oneself by a user who is not an administrator',
    request: async (c) =>
      post('/api/admin/grants', { userId: c.me.user.user.id, amount: 100, reason: 'free credits' })(c),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'PATCH /api/admin/users/:id making oneself an administrator',
    request: async (c) =>
      send({ method: 'PATCH', url: `/api/admin/users/${c.me.user.user.id}`, body: { role: 'admin' } })(c),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'GET /api/admin/users by a user who is not an administrator',
    request: get('/api/admin/users'),
    status: 403,
    message: /only administrators/,
  },
]

const SIGNED_LINKS: Refusal[] = [
  {
    name: 'a tampered signature',
    request: async (c) =>
      get(
        `/files/images/${c.f.link.file}?expires=${c.f.link.expires}&signature=${flip(c.f.link.signature)}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /this image link is not valid or has expired/,
  },
  {
    name: 'a later expiry under the same signature',
    request: async (c) =>
      get(
        `/files/images/${c.f.link.file}?expires=${c.f.link.expires + 86_400_000}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a correctly signed link that has expired',
    request: async (c) => {
      const expires = c.t.server.services.clock.now() - 1000
      const signature = c.t.server.services.signer.sign(c.f.otherFavouriteId, expires)
      return get(`/files/images/${c.f.otherFavouriteId}.png?expires=${expires}&signature=${signature}`, {
        as: 'nobody',
      })(c)
    },
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'the signature of another image',
    request: async (c) =>
      get(
        `/files/images/${c.f.otherPlainId}.png?expires=${c.f.link.expires}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'no signature',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=${c.f.link.expires}`, { as: 'nobody' })(c),
    status: 400,
    message: /signature: /,
  },
  {
    name: 'no expiry',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?signature=${c.f.link.signature}`, { as: 'nobody' })(c),
    status: 400,
    message: /expires: /,
  },
  {
    name: 'an expiry that is not a number',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=soon&signature=${c.f.link.signature}`, { as: 'nobody' })(c),
    status: 400,
    message: /expires: /,
  },
  {
    name: 'a fractional expiry',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=${c.f.link.expires}.5&signature=${c.f.link.signature}`, {
        as: 'nobody',
      })(c),
    status: 400,
    message: /expires: /,
  },
  {
    name: 'a negative expiry',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=-1&signature=${c.f.link.signature}`, { as: 'nobody' })(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'an expiry of 1e30',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=1e30&signature=${c.f.link.signature}`, { as: 'nobody' })(c),
    status: 400,
    message: /expires: /,
  },
  {
    name: 'a signature of 101 characters',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=${c.f.link.expires}&signature=${'s'.repeat(101)}`, {
        as: 'nobody',
      })(c),
    status: 400,
    message: /signature: /,
  },
  {
    name: 'the signature given twice',
    request: async (c) =>
      get(
        `/files/images/${c.f.link.file}?expires=${c.f.link.expires}&signature=${c.f.link.signature}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 400,
    message: /signature: /,
  },
  {
    name: 'a .jpg file name',
    request: async (c) =>
      get(
        `/files/images/${c.f.otherFavouriteId}.jpg?expires=${c.f.link.expires}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a path traversal as the file',
    request: async (c) =>
      get(
        `/files/images/..%2F..%2F..%2Fetc%2Fpasswd?expires=${c.f.link.expires}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a job id as the file',
    request: async (c) =>
      get(`/files/images/${c.f.otherJobId}.png?expires=${c.f.link.expires}&signature=${c.f.link.signature}`, {
        as: 'nobody',
      })(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a unicode file name',
    request: async (c) =>
      get(
        `/files/images/${encodeURIComponent('img_✓.png')}?expires=${c.f.link.expires}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a file name of 61 characters',
    request: async (c) =>
      get(`/files/images/${'f'.repeat(61)}?expires=${c.f.link.expires}&signature=${c.f.link.signature}`, {
        as: 'nobody',
      })(c),
    status: 400,
    message: /file: /,
  },
]

/** One character of a base64url signature changed. */
const flip = (signature: string) => (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)

sweep((s) => {
  s.accepts([
    [
      'GET /files/images/:file (the signed link)',
      async (c) =>
        get(`/files/images/${c.f.link.file}?expires=${c.f.link.expires}&signature=${c.f.link.signature}`, {
          as: 'nobody',
        })(c),
      200,
    ],
  ])
  s.refuses('images', IMAGE_ROUTES)
  s.refuses('another account’s jobs, images and keys, and administrators’ routes', OTHER_ACCOUNT)
  s.refuses('signed image links (GET /files/images/:file)', SIGNED_LINKS)
})

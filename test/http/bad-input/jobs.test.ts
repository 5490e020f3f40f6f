import { expect } from 'vitest'
import {
  bearer,
  get,
  ID_TAIL,
  inPath,
  JOB,
  NOT_IDS,
  pagination,
  pathIdRefusal,
  post,
  type Refusal,
  send,
} from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of the studio's jobs as JSON (multipart ones are in uploads.test.ts).

const JOBS: Refusal[] = [
  {
    name: 'POST /api/jobs with no kind',
    request: post('/api/jobs', { prompt: 'a lighthouse' }),
    status: 400,
    message: /kind: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/jobs with an unknown kind',
    request: post('/api/jobs', { ...JOB, kind: 'paint' }),
    status: 400,
    message: /kind: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/jobs with a number as the kind',
    request: post('/api/jobs', { ...JOB, kind: 7 }),
    status: 400,
    message: /kind: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/jobs with a number as the prompt',
    request: post('/api/jobs', { ...JOB, prompt: 7 }),
    status: 400,
    message: /^prompt: /,
  },
  {
    name: 'POST /api/jobs generating without a prompt',
    request: post('/api/jobs', { kind: 'generate' }),
    status: 400,
    message: /prompt is required/,
  },
  {
    name: 'POST /api/jobs with a prompt with a NUL character',
    request: post('/api/jobs', { ...JOB, prompt: 'a\u0000b' }),
    status: 400,
    message: /prompt/,
  },
  {
    name: 'POST /api/jobs with n = 0',
    request: post('/api/jobs', { ...JOB, n: 0 }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/jobs with n = 11',
    request: post('/api/jobs', { ...JOB, n: 11 }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/jobs with n = "x"',
    request: post('/api/jobs', { ...JOB, n: 'x' }),
    status: 400,
    message: /^n: must be a whole number/,
  },
  {
    name: 'POST /api/jobs with n = true (a boolean)',
    request: post('/api/jobs', { ...JOB, n: true }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/jobs with an unknown size',
    request: post('/api/jobs', { ...JOB, size: '300x300' }),
    status: 400,
    message:
      /size: must be 256x256, 512x512, 1024x1024, 1536x1024, 1024x1536, 1792x1024, 1024x1792, or a square's side/,
  },
  {
    name: 'POST /api/jobs with a number that is not a square’s side as the size',
    request: post('/api/jobs', { ...JOB, size: 300 }),
    status: 400,
    message:
      /size: must be 256x256, 512x512, 1024x1024, 1536x1024, 1024x1536, 1792x1024, 1024x1792, or a square's side/,
  },
  {
    name: 'POST /api/jobs with a negative seed',
    request: post('/api/jobs', { ...JOB, seed: -5 }),
    status: 400,
    message: /^seed: /,
  },
  {
    name: 'POST /api/jobs with an unknown model',
    request: post('/api/jobs', { ...JOB, model: 'dall-e-2' }),
    status: 400,
    message: /model "dall-e-2" is not a model of this installation/,
  },
  {
    name: 'POST /api/jobs editing without an image',
    request: post('/api/jobs', { kind: 'edit', prompt: 'add a boat' }),
    status: 400,
    message: /image is required/,
  },
  {
    name: 'POST /api/jobs generating from an imageId',
    request: async (c) => post('/api/jobs', { ...JOB, imageId: c.f.otherPlainId })(c),
    status: [400, 404],
    message: /image/,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `POST /api/jobs with an imageId that is ${what}`,
    request: post('/api/jobs', { kind: 'variation', imageId: id('img') }),
    status: 400,
    message: /imageId: must be an img_… id/,
  })),
  {
    name: 'POST /api/jobs with a JSON array',
    request: post('/api/jobs', [JOB]),
    status: 400,
    message: /body: /,
  },
  { name: 'POST /api/jobs with JSON null', request: post('/api/jobs', null), status: 400, message: /kind: / },
  {
    name: 'POST /api/jobs with malformed JSON',
    request: send({ method: 'POST', url: '/api/jobs', raw: '{"kind":' }),
    status: 400,
    message: /JSON/,
  },
  {
    name: 'POST /api/jobs form-urlencoded',
    request: send({
      method: 'POST',
      url: '/api/jobs',
      raw: 'kind=generate&prompt=x',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
  {
    name: 'POST /api/jobs as text/plain',
    request: send({ method: 'POST', url: '/api/jobs', raw: 'kind=generate', type: 'text/plain' }),
    status: [400, 415],
    message: /body: |expected object|content type/i,
  },
  {
    name: 'POST /api/jobs with an Idempotency-Key of 300 characters',
    request: post('/api/jobs', JOB, { headers: { 'idempotency-key': 'k'.repeat(300) } }),
    status: 400,
    message: /Idempotency-Key must be 1 to 255 characters/,
  },
  {
    name: 'POST /api/jobs with an Idempotency-Key used before for another request',
    request: async (c) => {
      const first = await c.t.server.app.inject({
        method: 'POST',
        url: '/api/jobs',
        headers: { ...bearer(c.me.user), 'idempotency-key': 'job-key' },
        payload: JOB,
      })
      expect(first.statusCode, first.body).toBe(202)
      await c.t.server.services.studio.waitForJob(c.me.user.user.accountId, first.json().id)
      return post('/api/jobs', { ...JOB, n: 2 }, { headers: { 'idempotency-key': 'job-key' } })(c)
    },
    status: 409,
    message: /Idempotency-Key "job-key" was already used for a different request/,
  },
  ...pagination('/api/jobs', 100),
  {
    name: 'GET /api/jobs with favourites=yes',
    request: get('/api/jobs?favourites=yes'),
    status: 400,
    message: /favourites: /,
  },
  {
    name: 'GET /api/jobs with a cursor that is not a job id (SQL-looking)',
    request: get(`/api/jobs?before=${encodeURIComponent("job_' OR '1'='1")}`),
    status: 400,
    message: /before/,
  },
  {
    name: 'GET /api/jobs with a search of 201 characters',
    request: get(`/api/jobs?q=${'a'.repeat(201)}`),
    status: 400,
    message: /q: must be at most 200 characters/,
  },
  {
    name: 'GET /api/jobs with two searches',
    request: get('/api/jobs?q=fox&q=owl'),
    status: 400,
    message: /q/,
  },
  {
    name: 'GET /api/jobs with a cursor holding a NUL',
    request: get('/api/jobs?before=job_%00'),
    status: 400,
    message: /before/,
  },
  ...NOT_IDS.flatMap(([what, id]) => [
    {
      name: `GET /api/jobs/:id with ${what}`,
      request: get(`/api/jobs/${inPath(id('job'))}`),
      ...pathIdRefusal(what, 'job'),
    },
    {
      name: `GET /api/jobs/:id/events with ${what}`,
      request: get(`/api/jobs/${inPath(id('job'))}/events`),
      ...pathIdRefusal(what, 'job'),
    },
  ]),
  {
    name: 'GET /api/jobs/:id of no job',
    request: get(`/api/jobs/job_${ID_TAIL}`),
    status: 404,
    message: /no job job_/,
  },
]

sweep((s) => {
  s.accepts([
    ['POST /api/jobs (JSON)', post('/api/jobs', JOB), 202],
    ['GET /api/jobs?limit=5', get('/api/jobs?limit=5'), 200],
  ])
  s.refuses('jobs', JOBS)
})

import { get, type Refusal, send } from './requests.ts'
import { METRICS_TOKEN, sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of GET /metrics, guarded by EASEL_METRICS_TOKEN on the sweep's
// server: every way of not sending that token is a 401 that reads nothing.

const scrape = (authorization: string | null, url = '/metrics') =>
  get(url, { as: 'nobody', headers: authorization === null ? {} : { authorization } })

const NEEDS_TOKEN = /needs the metrics token: send "Authorization: Bearer <EASEL_METRICS_TOKEN>"/
const WRONG_TOKEN = /the metrics token is not valid/

const REFUSALS: Refusal[] = (
  [
    ['no Authorization header', null, NEEDS_TOKEN],
    ['an empty Authorization header', '', NEEDS_TOKEN],
    ['"Bearer" and no token', 'Bearer', NEEDS_TOKEN],
    ['the token without "Bearer"', METRICS_TOKEN, NEEDS_TOKEN],
    [
      'the token in Basic credentials',
      `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`,
      NEEDS_TOKEN,
    ],
    ['the token and something after it', `Bearer ${METRICS_TOKEN} extra`, NEEDS_TOKEN],
    ['a lower-case scheme with two spaces', `bearer  ${METRICS_TOKEN}`, NEEDS_TOKEN],
    ['a wrong token', 'Bearer not-the-metrics-token-at-all', WRONG_TOKEN],
    ['the token with one character more', `Bearer ${METRICS_TOKEN}x`, WRONG_TOKEN],
    ['the token with one character fewer', `Bearer ${METRICS_TOKEN.slice(0, -1)}`, WRONG_TOKEN],
    ['the token in another case', `Bearer ${METRICS_TOKEN.toUpperCase()}`, WRONG_TOKEN],
    ['a token 10 000 characters long', `Bearer ${'A'.repeat(10_000)}`, WRONG_TOKEN],
    ['an SQL-looking token', "Bearer '||'1'='1'--", WRONG_TOKEN],
  ] as const
).map(([what, authorization, message]) => ({
  name: `GET /metrics with ${what}`,
  request: scrape(authorization),
  status: 401,
  message,
  code: 'UNAUTHENTICATED',
}))

REFUSALS.push(
  {
    name: 'GET /metrics with an API key instead of the metrics token',
    request: (c) => scrape(`Bearer ${c.me.user.apiKey}`)(c),
    status: 401,
    message: WRONG_TOKEN,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'GET /metrics?token=<the token> (a token in the address is not read)',
    request: scrape(null, `/metrics?token=${METRICS_TOKEN}`),
    status: 401,
    message: NEEDS_TOKEN,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'POST /metrics',
    request: send({
      method: 'POST',
      url: '/metrics',
      as: 'nobody',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    }),
    status: 404,
    message: /no route POST \/metrics/,
    code: 'NOT_FOUND',
  },
)

sweep((s) => {
  s.accepts([['GET /metrics with the token', scrape(`Bearer ${METRICS_TOKEN}`), 200]])
  s.refuses('GET /metrics without its token', REFUSALS)
})

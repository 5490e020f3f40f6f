import { expect } from 'vitest'
import { bearer, CARD, get, ID_TAIL, PURCHASE, pagination, post, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of credits and money: the credit history, quotes and purchases.

const CREDITS: Refusal[] = [
  ...pagination('/api/credits/history', 200),
  {
    name: 'GET /api/credits/history with a cursor of another kind of id',
    request: get(`/api/credits/history?before=job_${ID_TAIL}`),
    status: 400,
    message: /before: must be a txn_… id/,
  },
  {
    name: 'GET /api/credits/history with a cursor holding a NUL',
    request: get('/api/credits/history?before=txn_%00'),
    status: 400,
    message: /before/,
  },
  {
    name: 'GET /api/credits/history with an SQL-looking cursor',
    request: get(`/api/credits/history?before=${encodeURIComponent("txn_' OR '1'='1")}`),
    status: 400,
    message: /before/,
  },
  {
    name: 'POST /api/quotes with no operation',
    request: post('/api/quotes', {}),
    status: 400,
    message: /^operation: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/quotes with an unknown operation',
    request: post('/api/quotes', { operation: 'paint' }),
    status: 400,
    message: /^operation: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/quotes with n as a string',
    request: post('/api/quotes', { operation: 'generate', n: '2' }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/quotes with n = 0',
    request: post('/api/quotes', { operation: 'generate', n: 0 }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/quotes with an unknown size',
    request: post('/api/quotes', { operation: 'generate', size: '100x100' }),
    status: 400,
    message: /^size: must be 256x256, 512x512, 1024x1024, 1536x1024, 1024x1536, 1792x1024 or 1024x1792/,
  },
  {
    name: 'POST /api/quotes with an unknown model',
    request: post('/api/quotes', { operation: 'generate', model: 'dall-e-2' }),
    status: 400,
    message: /model: "dall-e-2" is not a model of this installation/,
  },
  {
    name: 'POST /api/quotes with a JSON array',
    request: post('/api/quotes', [{ operation: 'generate' }]),
    status: 400,
    message: /expected object/,
  },
]

const PURCHASE_CASES: Refusal[] = [
  { name: 'no pack', request: post('/api/purchases', { card: CARD }), status: 400, message: /^packId: / },
  {
    name: 'an unknown pack',
    request: post('/api/purchases', { ...PURCHASE, packId: 'pack-999' }),
    status: 400,
    message: /packId: "pack-999" is not a pack/,
  },
  {
    name: 'a path traversal as the pack',
    request: post('/api/purchases', { ...PURCHASE, packId: '../../etc/passwd' }),
    status: 400,
    message: /packId: /,
  },
  {
    name: 'a pack id of 101 characters',
    request: post('/api/purchases', { ...PURCHASE, packId: 'p'.repeat(101) }),
    status: 400,
    message: /^packId: /,
  },
  {
    name: 'quantity 0',
    request: post('/api/purchases', { ...PURCHASE, quantity: 0 }),
    status: 400,
    message: /^quantity: /,
  },
  {
    name: 'quantity 101',
    request: post('/api/purchases', { ...PURCHASE, quantity: 101 }),
    status: 400,
    message: /^quantity: /,
  },
  {
    name: 'quantity "2" (a string)',
    request: post('/api/purchases', { ...PURCHASE, quantity: '2' }),
    status: 400,
    message: /^quantity: /,
  },
  {
    name: 'quantity 1.5',
    request: post('/api/purchases', { ...PURCHASE, quantity: 1.5 }),
    status: 400,
    message: /^quantity: /,
  },
  {
    name: 'no card',
    request: post('/api/purchases', { packId: 'pack-115' }),
    status: 400,
    message: /^card: /,
  },
  {
    name: 'a card number of letters',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, number: 'abcd efgh ijkl mnop' } }),
    status: 400,
    message: /card\.number is not a valid card number/,
  },
  {
    name: 'a card number failing its checksum',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, number: '4242 4242 4242 4241' } }),
    status: 400,
    message: /card\.number is not a valid card number/,
  },
  {
    name: 'expiry month 13',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, expMonth: 13 } }),
    status: 400,
    message: /card\.expMonth must be 1 to 12/,
  },
  {
    name: 'a CVC of letters',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, cvc: 'abc' } }),
    status: 400,
    message: /card\.cvc must be 3 or 4 digits/,
  },
  {
    name: 'a CVC of 5 digits',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, cvc: '12345' } }),
    status: 400,
    message: /card\.cvc: /,
  },
  {
    name: 'a card that declines',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, number: '4000 0000 0000 0002' } }),
    status: 402,
    message: /declined.*Nothing was charged/,
  },
  {
    name: 'an expired card',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, expYear: 2001 } }),
    status: 402,
    message: /expired/,
  },
  {
    name: 'an Idempotency-Key of 300 characters',
    request: post('/api/purchases', PURCHASE, { headers: { 'idempotency-key': 'k'.repeat(300) } }),
    status: 400,
    message: /Idempotency-Key must be 1 to 255 characters/,
  },
  {
    name: 'an Idempotency-Key used before for another request (another quantity)',
    request: async (c) => {
      const first = await c.t.server.app.inject({
        method: 'POST',
        url: '/api/purchases',
        headers: { ...bearer(c.me.user), 'idempotency-key': 'purchase-key' },
        payload: PURCHASE,
      })
      expect(first.statusCode, first.body).toBe(201)
      return post(
        '/api/purchases',
        { ...PURCHASE, quantity: 3 },
        { headers: { 'idempotency-key': 'purchase-key' } },
      )(c)
    },
    status: 409,
    message: /already used for a different purchase/,
  },
  {
    name: 'form-urlencoded',
    request: send({
      method: 'POST',
      url: '/api/purchases',
      raw: 'packId=pack-115',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
]
const PURCHASES: Refusal[] = PURCHASE_CASES.map((r) => ({ ...r, name: `POST /api/purchases with ${r.name}` }))

sweep((s) => {
  s.accepts([
    ['POST /api/purchases', post('/api/purchases', PURCHASE), 201],
    ['POST /api/quotes', post('/api/quotes', { operation: 'generate', n: 2, size: '256x256' }), 200],
    ['GET /api/credits/history?limit=5', get('/api/credits/history?limit=5'), 200],
  ])
  s.refuses('credits and quotes', CREDITS)
  s.refuses('purchases', PURCHASES)
})

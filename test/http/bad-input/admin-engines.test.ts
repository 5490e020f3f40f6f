import { get, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of the administrators' engines page: GET /api/admin/engines.

const ENGINES: Refusal[] = [
  {
    name: 'GET /api/admin/engines by a user who is not an administrator',
    request: get('/api/admin/engines'),
    status: 403,
    message: /only administrators/,
    code: 'FORBIDDEN',
  },
  {
    name: 'GET /api/admin/engines through a browser session that is not an administrator’s',
    request: get('/api/admin/engines', { as: 'session' }),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'GET /api/admin/engines without credentials',
    request: get('/api/admin/engines', { as: 'nobody' }),
    status: 401,
    message: /sign in first/,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'GET /api/admin/engines with a query holding a NUL',
    request: get('/api/admin/engines?engine=sketch%00', { as: 'admin' }),
    status: 400,
    message: /NUL/,
  },
  ...(['POST', 'PUT', 'PATCH', 'DELETE'] as const).map((method) => ({
    name: `${method} /api/admin/engines (it is read-only)`,
    request: send({ method, url: '/api/admin/engines', body: { name: 'sketch' }, as: 'admin' }),
    status: [404, 405],
    message: /no route|not allowed|not found/i,
  })),
  {
    name: 'GET /api/admin/engines/sketch (there is no page per engine)',
    request: get('/api/admin/engines/sketch', { as: 'admin' }),
    status: 404,
    message: /no route|not found/i,
  },
]

sweep((s) => {
  s.accepts([['GET /api/admin/engines', get('/api/admin/engines', { as: 'admin' }), 200]])
  s.refuses('the engines page', ENGINES)
  s.ignores('the engines page reads and changes nothing, whatever the query', [
    ['GET /api/admin/engines?refresh=true', get('/api/admin/engines?refresh=true', { as: 'admin' })],
    ['GET /api/admin/engines?name=openai&x=1', get('/api/admin/engines?name=openai&x=1', { as: 'admin' })],
  ])
})

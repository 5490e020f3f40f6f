import fs from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { App } from './app-type.ts'

/** Where `npm run build:web` puts the studio. */
export const WEB_DIST = path.resolve(import.meta.dirname, '../../web/dist')

const API_PATHS = /^\/(api|v1|files|docs)(\/|$)|^\/healthz$/

/**
 * Serves the studio's built files, and its index.html for any other page address (the studio
 * routes in the browser, so /history or /credits must load it too). API paths keep their own
 * "not found" answers.
 */
export async function registerStudio(
  app: App,
  root: string = WEB_DIST,
  options: { production?: boolean } = {},
): Promise<boolean> {
  if (!fs.existsSync(path.join(root, 'index.html'))) return false
  await app.register(fastifyStatic, {
    root,
    // A development build may carry source maps; a production server never hands them out.
    allowedPath: (pathName) => !(options.production && pathName.endsWith('.map')),
    wildcard: false,
    // The build writes .br and .gz beside each asset (web/vite.config.ts): sent to browsers that
    // accept them, with no compression work per request.
    preCompressed: true,
    // Hashed asset names change with their content; index.html must always be fresh.
    setHeaders: (res, file) => {
      res.header(
        'cache-control',
        file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      )
    },
  })
  return true
}

/**
 * Whether an address is a studio page (which gets index.html). A missing file (a name with an
 * extension, such as a stale /assets/index-old.js or a withheld .map) is a 404, not the page.
 */
export function isStudioPage(request: FastifyRequest): boolean {
  // Decoded, so that /%761/… is an API address (Fastify routes it as /v1/…), not a studio page.
  let pathname = request.url.split('?')[0]!
  try {
    pathname = decodeURIComponent(pathname)
  } catch {
    return false
  }
  const last = pathname.slice(pathname.lastIndexOf('/') + 1)
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    !API_PATHS.test(pathname) &&
    !last.includes('.')
  )
}

export function sendStudio(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-cache').sendFile('index.html')
}

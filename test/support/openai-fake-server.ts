import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

// What the fake OpenAI hosts (images, moderation) share: OpenAI's error body, JSON answers, and a
// loopback server whose handler may throw an `OpenAiHttpError` to answer with it.

/** An error the fake answers with, in OpenAI's shape (`{error:{message,type,param,code}}`). */
export class OpenAiHttpError {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {}
}

export function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Serves `handle` on a free loopback port: an `OpenAiHttpError` it throws is answered in OpenAI's
 * shape, anything else as a 500 `server_error`. Returns the API root (`…/v1`) and a `close`.
 */
export async function serveOpenAiFake(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    try {
      await handle(req, res)
    } catch (error) {
      if (error instanceof OpenAiHttpError) {
        const { status, message, type, param, code } = error
        return send(res, status, { error: { message, type, param, code } })
      }
      send(res, 500, { error: { message: String(error), type: 'server_error', param: null, code: null } })
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

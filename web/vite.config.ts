import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

// The studio's sources live in web/ and build into web/dist, which the Easel server serves at `/`.
// `vite --config web/vite.config.ts` serves it for development, passing the API through to a local
// Easel on :8080 (start one with `npm start` or `PORT=8080 npx easel start`).
const root = fileURLToPath(new URL('.', import.meta.url))
const easel = process.env.EASEL_DEV_API ?? 'http://127.0.0.1:8080'

/**
 * Writes a Brotli and a gzip copy beside every text asset of the build, which the server sends to
 * browsers that accept them (@fastify/static's preCompressed): the bundle travels at a fraction of
 * its size and the server compresses nothing per request.
 */
function precompress(): Plugin {
  return {
    name: 'easel-precompress',
    apply: 'build',
    closeBundle() {
      const dist = path.join(root, 'dist')
      const walk = (dir: string): string[] =>
        fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
          const full = path.join(dir, e.name)
          return e.isDirectory() ? walk(full) : [full]
        })
      for (const file of walk(dist)) {
        if (!/\.(js|css|html|svg|json|txt)$/.test(file)) continue
        const bytes = fs.readFileSync(file)
        if (bytes.length < 1024) continue
        fs.writeFileSync(
          `${file}.br`,
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        )
        fs.writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }))
      }
    },
  }
}

export default defineConfig(({ mode }) => ({
  root,
  base: '/',
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Source maps only for development builds: a production studio does not publish its sources.
    sourcemap: mode === 'development',
  },
  server: {
    proxy: { '/api': easel, '/v1': easel, '/files': easel, '/docs': easel },
  },
}))

import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The studio's sources live in web/ and build into web/dist, which the Easel server serves at `/`.
// `vite --config web/vite.config.ts` serves it for development, passing the API through to a local
// Easel on :8080 (start one with `npm start` or `PORT=8080 npx easel start`).
const root = fileURLToPath(new URL('.', import.meta.url))
const easel = process.env.EASEL_DEV_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: { '/api': easel, '/v1': easel, '/files': easel, '/docs': easel },
  },
})

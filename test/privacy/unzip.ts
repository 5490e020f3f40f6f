import yauzl from 'yauzl'
import { AccountExport } from '../../src/contracts/index.ts'

/** Every file of a zip, by name, read back with yauzl (a reader independent of the writer). */
export function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, strictFileNames: true }, (error, file) => {
      if (error) return reject(error)
      const files = new Map<string, Buffer>()
      file.on('error', reject)
      file.on('end', () => resolve(files))
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (openError, stream) => {
          if (openError) return reject(openError)
          const chunks: Buffer[] = []
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('error', reject)
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks))
            file.readEntry()
          })
        })
      })
      file.readEntry()
    })
  })
}

/** account.json of an export, checked against its contract. */
export function accountJsonOf(files: Map<string, Buffer>): AccountExport {
  const text = files.get('account.json')
  if (!text) throw new Error(`no account.json in the zip: ${[...files.keys()].join(', ')}`)
  return AccountExport.parse(JSON.parse(text.toString('utf8')))
}

/** A stream's bytes. */
export async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks)
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
export const isPng = (b: Buffer | undefined): boolean => b?.subarray(0, 8).equals(PNG_SIGNATURE) === true

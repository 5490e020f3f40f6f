import { inflateSync } from 'node:zlib'

// Reads back what a pdfkit document drawn with the standard fonts says, well enough to assert on:
// its objects (streams cut by their `/Length`, inflated when Flate-compressed), each page's text
// objects with their position, font and size, their `TJ` hex strings decoded from WinAnsiEncoding,
// the information dictionary and the link annotations. Not a general PDF parser: it reads what
// pdfkit writes (a classic xref table, no object streams, direct `/Length`s, one text object per
// line drawn).

/** One line of text as drawn: where, in which font, what. */
export interface PdfTextRun {
  page: number
  /** Left edge, in points from the left of the page. */
  x: number
  /** The baseline, in points from the top of the page. */
  y: number
  /** The font's base name (`Helvetica-Bold`). */
  font: string
  size: number
  text: string
}

interface PdfObject {
  /** The object's text before its stream, if any (a dictionary, a string, a number). */
  body: string
  stream: Buffer | null
}

/** A parsed document: its objects by number, and the trailer. */
export interface PdfFile {
  objects: Map<number, PdfObject>
  trailer: string
}

/** Splits a pdfkit document into its objects. */
export function readPdf(pdf: Buffer): PdfFile {
  const raw = pdf.toString('latin1')
  if (!raw.startsWith('%PDF-')) throw new Error('not a PDF: it does not start with %PDF-')
  const objects = new Map<number, PdfObject>()
  const head = /(\d+) 0 obj\s*/y
  const start = /(?:^|[\r\n])(\d+) 0 obj\b/g
  for (let m = start.exec(raw); m; m = start.exec(raw)) {
    head.lastIndex = m.index + (m[0].length - m[0].trimStart().length)
    const h = head.exec(raw)!
    let at = head.lastIndex
    const streamAt = raw.indexOf('stream', at)
    const endAt = raw.indexOf('endobj', at)
    if (endAt < 0) throw new Error(`object ${m[1]} has no endobj`)
    let stream: Buffer | null = null
    let body: string
    if (streamAt >= 0 && streamAt < endAt) {
      body = raw.slice(at, streamAt).trim()
      const length = /\/Length (\d+)\b/.exec(body)
      if (!length) throw new Error(`stream ${m[1]} has no direct /Length`)
      const dataAt = streamAt + 'stream'.length + (raw[streamAt + 6] === '\r' ? 2 : 1)
      const data = pdf.subarray(dataAt, dataAt + Number(length[1]))
      stream = /\/FlateDecode/.test(body) ? inflateSync(data) : data
      at = raw.indexOf('endobj', dataAt + data.length)
    } else {
      body = raw.slice(at, endAt).trim()
      at = endAt
    }
    objects.set(Number(h[1]), { body, stream })
    start.lastIndex = at
  }
  const trailer = /trailer\s*<<([\s\S]*?)>>\s*startxref/.exec(raw)
  if (!trailer) throw new Error('no trailer')
  return { objects, trailer: trailer[1]! }
}

const object = (file: PdfFile, ref: string | undefined): PdfObject => {
  const found = ref === undefined ? undefined : file.objects.get(Number(ref))
  if (!found) throw new Error(`no object ${ref}`)
  return found
}

/** A literal string `(…)` as text: escapes undone, UTF-16BE when it starts with its byte order mark. */
function literal(written: string): string {
  const m = /^\(([\s\S]*)\)$/.exec(written.trim())
  if (!m) throw new Error(`not a literal string: ${written.slice(0, 40)}`)
  const named: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' }
  const bytes = m[1]!.replace(/\\([0-7]{1,3}|.)/g, (_, c: string) =>
    /^[0-7]/.test(c) ? String.fromCharCode(Number.parseInt(c, 8)) : (named[c] ?? c),
  )
  if (!bytes.startsWith('\xfe\xff')) return bytes
  const buffer = Buffer.from(bytes.slice(2), 'latin1')
  return buffer.swap16().toString('utf16le')
}

// WinAnsiEncoding's 0x80–0x9F; every other byte is its Latin-1 character.
const WIN_ANSI_HIGH = new Map(
  [...'€\0‚ƒ„…†‡ˆ‰Š‹Œ\0Ž\0\0‘’“”•–—˜™š›œ\0žŸ']
    .map((c, i) => [0x80 + i, c] as const)
    .filter(([, c]) => c !== '\0'),
)

function decodeHex(hex: string): string {
  // pdfkit writes a character outside WinAnsi as its UTF-16 code in hex, which can leave an odd length.
  if (hex.length % 2 !== 0)
    throw new Error(`odd-length hex string in a TJ: <${hex}> (a character outside WinAnsi?)`)
  let text = ''
  for (let i = 0; i < hex.length; i += 2) {
    const byte = Number.parseInt(hex.slice(i, i + 2), 16)
    text += WIN_ANSI_HIGH.get(byte) ?? String.fromCharCode(byte)
  }
  return text
}

/** The page objects, in order (`/Pages` → `/Kids`, one level: pdfkit writes no page tree deeper). */
function pages(file: PdfFile): PdfObject[] {
  const root = object(file, /\/Root (\d+) 0 R/.exec(file.trailer)?.[1])
  const tree = object(file, /\/Pages (\d+) 0 R/.exec(root.body)?.[1])
  const kids = /\/Kids \[([^\]]*)\]/.exec(tree.body)?.[1] ?? ''
  return [...kids.matchAll(/(\d+) 0 R/g)].map((k) => object(file, k[1]))
}

/** Pages in the document. */
export function pdfPageCount(pdf: Buffer): number {
  return pages(readPdf(pdf)).length
}

function mediaBox(page: PdfObject): { width: number; height: number } {
  const m = /\/MediaBox \[\s*(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+)\s*\]/.exec(page.body)
  if (!m) throw new Error('a page without a MediaBox')
  return { width: Number(m[3]) - Number(m[1]), height: Number(m[4]) - Number(m[2]) }
}

/** A page's size, in points. */
export function pdfPageSize(pdf: Buffer, page = 0): { width: number; height: number } {
  const p = pages(readPdf(pdf))[page]
  if (!p) throw new Error(`no page ${page}`)
  return mediaBox(p)
}

/** Each text object of each page's content, in the order drawn. */
export function pdfTextRuns(pdf: Buffer): PdfTextRun[] {
  const file = readPdf(pdf)
  const runs: PdfTextRun[] = []
  pages(file).forEach((page, index) => {
    const { height } = mediaBox(page)
    const resources = object(file, /\/Resources (\d+) 0 R/.exec(page.body)?.[1]).body
    const fonts = new Map(
      [...(/\/Font <<([^>]*)>>/.exec(resources)?.[1] ?? '').matchAll(/\/(\w+) (\d+) 0 R/g)].map((f) => [
        f[1]!,
        /\/BaseFont \/([\w-]+)/.exec(object(file, f[2]).body)?.[1] ?? f[1]!,
      ]),
    )
    const content = object(file, /\/Contents (\d+) 0 R/.exec(page.body)?.[1]).stream
    for (const [, body] of (content?.toString('latin1') ?? '').matchAll(/\bBT\b([\s\S]*?)\bET\b/g)) {
      const at = /1 0 0 1 (-?[\d.]+) (-?[\d.]+) Tm/.exec(body!)
      const tf = /\/(\w+) ([\d.]+) Tf/.exec(body!)
      if (!at || !tf) continue
      let text = ''
      for (const [, array] of body!.matchAll(/\[([^\]]*)\] TJ/g))
        for (const [, hex] of array!.matchAll(/<([0-9a-fA-F]*)>/g)) text += decodeHex(hex!)
      // pdfkit flips the page so that y runs down; its Tm is in PDF's own coordinates, y up.
      const font = fonts.get(tf[1]!) ?? tf[1]!
      runs.push({ page: index, x: Number(at[1]), y: height - Number(at[2]), font, size: Number(tf[2]), text })
    }
  })
  return runs
}

/** All the text, a line per text object. */
export function pdfText(pdf: Buffer): string {
  return pdfTextRuns(pdf)
    .map((r) => r.text)
    .join('\n')
}

/** A value of the document information dictionary (`Title`, `Author`, `CreationDate`), or null. */
export function pdfInfo(pdf: Buffer, key: string): string | null {
  const file = readPdf(pdf)
  const info = /\/Info (\d+) 0 R/.exec(file.trailer)
  if (!info) return null
  const value = new RegExp(`/${key} (?:(\\d+) 0 R|(\\((?:\\\\.|[^\\\\)])*\\)))`).exec(
    object(file, info[1]).body,
  )
  if (!value) return null
  return literal(value[2] ?? object(file, value[1]).body)
}

/** The URIs of the link annotations, in order. */
export function pdfLinks(pdf: Buffer): string[] {
  const links: string[] = []
  for (const { body } of readPdf(pdf).objects.values()) {
    const uri = /\/S \/URI\s*\/URI (\((?:\\.|[^\\)])*\))/.exec(body)
    if (uri) links.push(literal(uri[1]!))
  }
  return links
}

import { isIPv4, isIPv6 } from 'node:net'

const MAX_KEY_LENGTH = 100

/**
 * The key a client's address is counted under by the sign-in throttle and the sign-up limit. An
 * IPv4 address is itself (also when written IPv4-mapped, `::ffff:1.2.3.4`); an IPv6 address is its
 * /64 network, because one subscriber holds a whole /64 and changes addresses inside it at will
 * (privacy addresses rotate daily), so counting single IPv6 addresses would count nothing.
 *
 * @example
 * clientAddressKey('::ffff:203.0.113.7') // → '203.0.113.7'
 * clientAddressKey('2001:db8:1:2:a:b:c:d') // → '2001:db8:1:2::/64'
 */
export function clientAddressKey(ip: string): string {
  const bare = ip
    .trim()
    .replace(/^\[|\]$/g, '')
    .split('%')[0]!
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare)
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!
  if (isIPv4(bare)) return bare
  if (!isIPv6(bare)) return bare.slice(0, MAX_KEY_LENGTH) || 'unknown'
  return `${ipv6Groups(bare).slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address, in hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const groupsOf = (part: string): string[] => {
    if (part === '') return []
    const groups = part.split(':')
    // A trailing dotted IPv4 part (`::1.2.3.4`) stands for two groups.
    const last = groups[groups.length - 1]!
    if (last.includes('.')) {
      const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number]
      groups.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16))
    }
    return groups
  }
  const [head = '', tail] = address.split('::')
  const front = groupsOf(head)
  const back = tail === undefined ? [] : groupsOf(tail)
  const zeros = tail === undefined ? [] : Array<string>(8 - front.length - back.length).fill('0')
  return [...front, ...zeros, ...back].map((g) => Number.parseInt(g, 16).toString(16))
}

/**
 * CRC-16 of Dynamixel Protocol 2.0: polynomial x^16 + x^15 + x^2 + 1 (0x8005), initial value 0,
 * no reflection, no final xor (CRC-16/BUYPASS, also called CRC-16/UMTS). Covers every byte of a
 * packet from the first header byte up to the last parameter, after byte stuffing.
 */

const _table = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/**
 * CRC of `bytes[start, end)`, continuing from `crc` (0 for a fresh packet).
 * Real-time safe: allocates nothing.
 */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ _table[((crc >>> 8) ^ bytes[i]) & 0xff]) & 0xffff;
  return crc;
}

/**
 * UTF-8 bytes of `s` as TextEncoder counts them (a lone surrogate becomes U+FFFD: 3 bytes),
 * without encoding it. Hand-written because neither TextEncoder nor a library counts without a copy.
 */
export function utf8Bytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * UTF-8 size of a string, as the wire limits count it. A UTF-16 code unit never takes fewer than one
 * UTF-8 byte, so a string with more code units than `capBytes` is over any cap of that size without
 * being encoded: the answer is then only "more than capBytes".
 */
export function utf8ByteLength(text: string, capBytes = Number.POSITIVE_INFINITY): number {
  if (text.length > capBytes) return text.length;
  // counted, not encoded: no copy of the frame just to learn its size
  return utf8Bytes(text);
}

/** Control characters (C0, DEL, C1) and unpaired surrogates: never valid in a name. */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Cs}]/u;

export function hasControlOrLoneSurrogate(text: string): boolean {
  return FORBIDDEN_IN_NAME.test(text);
}

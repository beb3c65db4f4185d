// The sha256 of a file's first 64 KiB: with the name, size and lastModified it tells the kernel that a file
// picked again after a page reload is the one whose partial spool it kept (the kernel checks the hash
// against the bytes it holds). WebCrypto does it where the page is a secure context; plain-http pages that
// are not localhost have no `crypto.subtle`, so a small audited SHA-256 (@noble/hashes) is bundled for them.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

export const HEAD_BYTES = 64 * 1024;

/** @param {Blob} file @returns {Promise<string>} lowercase hex */
export async function headSha256(file) {
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return bytesToHex(new Uint8Array(await subtle.digest("SHA-256", head)));
  return bytesToHex(sha256(head));
}

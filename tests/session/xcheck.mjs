// xcheck.mjs — independent re-computation of the umbra session vectors with node:crypto
// (HMAC-SHA256 for RFC 5869 HKDF, AES-256-GCM / ChaCha20-Poly1305 from OpenSSL via node),
// and the HandshakeFragment byte layout rebuilt from PROTOCOL.md §2.6.
// Usage: node xcheck.mjs <vectors dir>. Exit 0 when every value matches.
import { createHmac, createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';

const dir = process.argv[2];
const hx = (s) => Buffer.from(s, 'hex');
const extract = (salt, ikm) => createHmac('sha256', salt).update(ikm).digest();
function expand(prk, info, len) { // RFC 5869 §2.3
  let t = Buffer.alloc(0), out = Buffer.alloc(0);
  for (let i = 1; out.length < len; i++) {
    t = createHmac('sha256', prk).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    out = Buffer.concat([out, t]);
  }
  return out.subarray(0, len);
}
function label(secret, lbl, ctx, len) { // PROTOCOL.md §4.2 Expand-Label
  const l = Buffer.from('umbra1 ' + lbl);
  const info = Buffer.concat([Buffer.from([len >> 8, len & 255, l.length]), l, Buffer.from([ctx.length]), ctx]);
  return expand(secret, info, len);
}
let bad = 0, n = 0;
const eq = (what, a, b) => { n++; if (!a.equals(b)) { bad++; console.error('MISMATCH', what); } };

const ks = JSON.parse(readFileSync(dir + '/key_schedule.json'));
for (const c of ks.cases) {
  const hs = extract(Buffer.from('umbra-session v1'), Buffer.concat([hx(c.ss_s), hx(c.ss_e)]));
  eq('hs', hs, hx(c.hs));
  const cap = label(hs, 'c ap', hx(c.th), 32), sap = label(hs, 's ap', hx(c.th), 32);
  eq('c_ap', cap, hx(c.c_ap)); eq('s_ap', sap, hx(c.s_ap));
  eq('res', label(hs, 'res', hx(c.th), 32), hx(c.res));
  eq('c_key', label(cap, 'key', Buffer.alloc(0), 32), hx(c.c_key));
  eq('c_iv', label(cap, 'iv', Buffer.alloc(0), 12), hx(c.c_iv));
  const c1 = label(cap, 'ku', Buffer.alloc(0), 32);
  eq('c_ap1', c1, hx(c.c_ap1));
  eq('c_ap2', label(c1, 'ku', Buffer.alloc(0), 32), hx(c.c_ap2));
}
const pk = JSON.parse(readFileSync(dir + '/packet.json'));
for (const c of pk.cases) {
  const key = label(hx(c.secret), 'key', Buffer.alloc(0), 32), iv = label(hx(c.secret), 'iv', Buffer.alloc(0), 12);
  eq('key', key, hx(c.key)); eq('iv', iv, hx(c.iv));
  const h = Buffer.alloc(21);
  h[0] = 0x10; h[1] = c.path; h.writeUInt16BE(c.epoch, 2); hx(c.dcid).copy(h, 4);
  h.writeUInt32BE(c.stream, 12); h.writeUIntBE(c.seq, 16, 5);
  eq('header', h, hx(c.header));
  const x = Buffer.alloc(12);
  x.writeUInt16BE(c.epoch, 0); x[2] = c.path; x.writeUInt32BE(c.stream, 3); x.writeUIntBE(c.seq, 7, 5);
  const nonce = Buffer.from(iv.map((b, i) => b ^ x[i]));
  eq('nonce', nonce, hx(c.nonce));
  const alg = c.aead === 'AES-256-GCM' ? 'aes-256-gcm' : 'chacha20-poly1305';
  const ci = createCipheriv(alg, key, nonce, { authTagLength: 16 });
  ci.setAAD(h);
  const ct = Buffer.concat([ci.update(hx(c.payload)), ci.final(), ci.getAuthTag()]);
  eq('packet', Buffer.concat([h, ct]), hx(c.packet));
}
// HandshakeFragment layout (PROTOCOL.md §2.6), rebuilt from the message alone
const fr = JSON.parse(readFileSync(dir + '/fragments.json'));
for (const c of fr.cases) {
  const m = hx(c.message), isCH = m[0] === 0x01;
  const want = [];
  for (let off = 0; off < m.length; off += 1180) {
    const len = Math.min(1180, m.length - off);
    const d = Buffer.alloc(isCH ? 1200 : 20 + len);
    d[0] = 0x03; d.writeUInt32BE(1, 1); m.copy(d, 5, 5, 13); d[13] = m[0];
    d.writeUInt16BE(m.length, 14); d.writeUInt16BE(off, 16); d.writeUInt16BE(len, 18);
    m.copy(d, 20, off, off + len);
    want.push(d);
  }
  eq('fragment count', Buffer.from([want.length]), Buffer.from([c.fragments.length]));
  want.forEach((d, i) => eq('fragment', d, hx(c.fragments[i] || '')));
}
console.log(`xcheck: ${n - bad}/${n} values match (node:crypto)`);
process.exit(bad ? 1 : 0);

// diff_driver.js — reference side of the umbra differential test (test_differential.c).
// usage: node --experimental-wasm-type-reflection diff_driver.js MODULE.wasm
// Instantiates a binaryen `wasm-opt -ttf` module in V8 with the "fuzzing-support" logging
// imports, then calls every exported function (after "hangLimitInitializer", which resets
// binaryen's loop/recursion budget) with all-zero arguments and prints one line per event:
//   call NAME | log TYPE VALUE | result TYPE VALUE | trap | exhaustion
// Values: i32/i64 as unsigned decimal, f32/f64 as hex bit patterns, any NaN as "nan"
// (JS numbers do not preserve NaN payloads). test_differential.c prints the same format
// from umbra and compares the two texts line by line.
'use strict';
const fs = require('fs');

const f32buf = new Float32Array(1), u32buf = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1), u64buf = new BigUint64Array(f64buf.buffer);

function fmt(type, v) {
  switch (type) {
    case 'i32': return String(v >>> 0);
    case 'i64': return BigInt.asUintN(64, BigInt(v)).toString();
    case 'f32':
      if (Number.isNaN(v)) return 'nan';
      f32buf[0] = v;
      return u32buf[0].toString(16).padStart(8, '0');
    case 'f64':
      if (Number.isNaN(v)) return 'nan';
      f64buf[0] = v;
      return u64buf[0].toString(16).padStart(16, '0');
    default: return '?' + type;
  }
}

function zero(type) {
  return type === 'i64' ? 0n : 0;
}

const out = [];
const bytes = fs.readFileSync(process.argv[2]);
let mod;
try {
  mod = new WebAssembly.Module(bytes);
} catch (e) {
  console.log('invalid ' + e.message);
  process.exit(0);
}
const imports = { 'fuzzing-support': {} };
for (const t of ['i32', 'i64', 'f32', 'f64']) {
  imports['fuzzing-support']['log-' + t] = (v) => { out.push('log ' + t + ' ' + fmt(t, v)); };
}
let inst;
try {
  inst = new WebAssembly.Instance(mod, imports);
} catch (e) {
  console.log('uninstantiable');
  process.exit(0);
}
const exps = WebAssembly.Module.exports(mod);
const hang = inst.exports.hangLimitInitializer;
for (const e of exps) {
  if (e.kind !== 'function' || e.name === 'hangLimitInitializer') continue;
  if (!e.type) throw new Error('node lacks --experimental-wasm-type-reflection');
  out.push('call ' + e.name);
  if (hang) hang();
  try {
    const r = inst.exports[e.name](...e.type.parameters.map(zero));
    const rt = e.type.results;
    if (rt.length === 1) out.push('result ' + rt[0] + ' ' + fmt(rt[0], r));
    else for (let i = 0; i < rt.length; i++) out.push('result ' + rt[i] + ' ' + fmt(rt[i], r[i]));
  } catch (err) {
    if (err instanceof RangeError) out.push('exhaustion');
    else if (err instanceof WebAssembly.RuntimeError) out.push('trap');
    else throw err;
  }
}
console.log(out.join('\n'));

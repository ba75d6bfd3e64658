// node_wasi.mjs — runs a wasm32-wasi command module on node's WASI (V8), the reference
// engine for bench/wasm/run.sh and the differential guest tests.
//   node node_wasi.mjs [--dir HOST::GUEST]... [--env K=V]... FILE.wasm [ARGS...]
// Exit status is the guest's; stdio is inherited.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { argv, env as hostEnv, exit } from 'node:process';

const preopens = {};
const env = {};
let i = 2;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--dir' && i + 1 < argv.length) {
    const spec = argv[++i];
    const cut = spec.indexOf('::');
    const host = cut >= 0 ? spec.slice(0, cut) : spec;
    const guest = cut >= 0 ? spec.slice(cut + 2) : spec;
    preopens[guest] = host;
  } else if (a === '--env' && i + 1 < argv.length) {
    const kv = argv[++i];
    const eq = kv.indexOf('=');
    env[eq >= 0 ? kv.slice(0, eq) : kv] = eq >= 0 ? kv.slice(eq + 1) : '';
  } else {
    break;
  }
}
if (i >= argv.length) {
  console.error('usage: node node_wasi.mjs [--dir HOST::GUEST] [--env K=V] FILE.wasm [ARGS...]');
  exit(2);
}
const file = argv[i];
const args = [file, ...argv.slice(i + 1)];
void hostEnv;

const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const code = wasi.start(instance);
exit(code);

// Compiles the AssemblyScript kernels of src/nn/assembly to WebAssembly (SIMD enabled).
// The .wasm is written beside the TypeScript loader (src/nn/wasm/) and copied into dist/
// by copy-assets.mjs, so the same loader works from sources (tests, tsx) and from dist/.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/nn/assembly/kernels.ts');
const out = join(root, 'src/nn/wasm/kernels.wasm');

if (!existsSync(entry)) {
  console.log('build-wasm: no AssemblyScript sources yet, nothing to build');
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
const asc = await import('assemblyscript/asc');
const { error, stderr } = await asc.main([
  entry,
  '--outFile',
  out,
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--runtime',
  'stub',
  '--enable',
  'simd',
  '--noAssert',
  '--importMemory',
  '--initialMemory',
  '1',
]);
if (error) {
  console.error(stderr.toString());
  console.error(`build-wasm: ${error.message}`);
  process.exit(1);
}
console.log(`build-wasm: wrote ${out}`);

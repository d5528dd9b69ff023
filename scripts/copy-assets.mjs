// Copies non-TypeScript runtime assets from src/ into dist/: the WebAssembly kernels and the
// SQL migrations (read at run time relative to the compiled modules).
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assets = ['nn/wasm/kernels.wasm', 'store/migrations'];
for (const rel of assets) {
  const from = join(root, 'src', rel);
  if (!existsSync(from)) continue;
  const to = join(root, 'dist', rel);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

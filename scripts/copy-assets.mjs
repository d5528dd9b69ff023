// Copies non-TypeScript runtime assets (the WebAssembly kernels) from src/ into dist/.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assets = ['nn/wasm/kernels.wasm'];
for (const rel of assets) {
  const from = join(root, 'src', rel);
  if (!existsSync(from)) continue;
  const to = join(root, 'dist', rel);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}

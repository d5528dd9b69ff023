/** Types of render-diagrams.mjs. */
export interface RenderFailure {
  file: string;
  block: number;
  line: number;
  message: string;
}

export function chromiumPath(): string;
export function renderDiagrams(
  files: string[],
  outDir: string,
  options?: { log?: (line: string) => void },
): Promise<{ rendered: Array<{ where: string; out: string }>; failures: RenderFailure[] }>;

/** Types of mermaid-docs.mjs (the diagrams of docs/architecture and the code names they mention). */
export interface MermaidBlock {
  file: string;
  /** 1-based position among the file's mermaid blocks */
  index: number;
  /** line of the opening fence */
  line: number;
  source: string;
}

export interface CodeName {
  name: string;
  /** 1-based line inside the block */
  line: number;
}

export interface SourceIndex {
  root: string;
  text: Map<string, string>;
  declared: Map<string, Set<string>>;
  reexported: Set<string>;
  routes: Set<string>;
  metrics: Set<string>;
  tables: Set<string>;
  envVars: Set<string>;
  commands: Set<string>;
}

export interface NameProblem {
  file: string;
  block: number;
  /** line in the Markdown file */
  line: number;
  name: string;
  reason: string;
}

export function extractMermaidBlocks(markdown: string, file?: string): MermaidBlock[];
export function diagramType(source: string): string;
export function codeNamesOf(source: string): CodeName[];
export function buildSourceIndex(root: string): SourceIndex;
export function checkName(token: string, index: SourceIndex): string | null;
export function checkDiagramNames(
  root: string,
  markdownFiles: string[],
  index?: SourceIndex,
): { names: number; problems: NameProblem[] };
export function markdownFilesIn(dir: string): string[];

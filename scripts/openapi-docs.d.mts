/** Types of openapi-docs.mjs. */
export const DEFAULT_IN: string;
export const DEFAULT_OUT: string;
export const METHODS: readonly string[];
export function escapeHtml(value: unknown): string;
export function operationId(method: string, path: string): string;
export function renderOpenApiHtml(doc: Record<string, unknown>): string;

/** Types of openapi-validate.mjs. */
export const DEFAULT_OPENAPI_FILE: string;
export function pointerToPath(pointer: string): string;
export function parseOpenApiText(text: string, file?: string): Record<string, unknown>;
export function validateOpenApi(
  doc: Record<string, unknown>,
): Promise<{ valid: boolean; problems: Array<{ at: string; message: string }>; operations: number }>;

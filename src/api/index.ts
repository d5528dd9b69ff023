/** The HTTP service. */
export type { ApiContext, JobQueue } from './context.js';
export { createServer, type ServerDeps } from './server.js';
export { MAX_AGENT_STATE_BYTES } from './validate-request.js';

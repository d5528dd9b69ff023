import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** A lease owner id unique to this process and queue: host:pid:random. */
export function leaseOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

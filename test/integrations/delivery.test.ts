import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay, deliver, parseRetryAfter, type RetryPolicy } from '../../src/integrations/delivery.js';
import { npRandom } from '../../src/rng/index.js';
import { closedPortUrl, type Receiver, startReceiver } from './receiver.js';

let receiver: Receiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

const policy: RetryPolicy = { timeoutMs: 2000, maxRetries: 3, baseDelayMs: 10, maxDelayMs: 40 };
/** Records the waits instead of sleeping them. */
const recordingSleep = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};

describe('deliver', () => {
  it('POSTs the exact body with JSON content type and succeeds on 2xx', async () => {
    receiver = await startReceiver([{ status: 204 }]);
    const body = JSON.stringify({ a: 1, s: 'é' });
    const out = await deliver({ url: `${receiver.url}/x`, body, headers: { 'x-extra': 'y' } }, policy);
    expect(out.ok).toBe(true);
    expect(out.attempts).toHaveLength(1);
    const [r] = receiver.received;
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/x');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-extra']).toBe('y');
    expect(r.raw.toString('utf8')).toBe(body);
  });

  it('retries 503 with jittered exponential backoff, then succeeds', async () => {
    receiver = await startReceiver([{ status: 503 }, { status: 503 }, { status: 200 }]);
    const { waits, sleep } = recordingSleep();
    const seeded = npRandom(42).rng;
    const out = await deliver({ url: receiver.url, body: '{}' }, policy, {
      random: () => seeded.random(),
      sleep,
    });
    expect(out.ok).toBe(true);
    expect(receiver.received).toHaveLength(3);
    expect(out.attempts.map((a) => a.status)).toEqual([503, 503, 200]);
    // The same seed gives the same draws: retry n waits floor(u_n · min(cap, base · 2^(n−1))).
    const again = npRandom(42).rng;
    expect(waits).toEqual([backoffDelay(1, again.random(), 10, 40), backoffDelay(2, again.random(), 10, 40)]);
    expect(waits[0]).toBeLessThan(10);
    expect(waits[1]).toBeLessThan(20);
  });

  it('does not retry a 400', async () => {
    receiver = await startReceiver([{ status: 400 }, { status: 200 }]);
    const { waits, sleep } = recordingSleep();
    const out = await deliver({ url: receiver.url, body: '{}' }, policy, { sleep });
    expect(out.ok).toBe(false);
    expect(out.status).toBe(400);
    expect(receiver.received).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('retries 429 and gives up after maxRetries', async () => {
    receiver = await startReceiver([{ status: 429 }]);
    const { waits, sleep } = recordingSleep();
    const out = await deliver({ url: receiver.url, body: '{}' }, { ...policy, maxRetries: 2 }, { sleep });
    expect(out.ok).toBe(false);
    expect(out.status).toBe(429);
    expect(receiver.received).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('honours Retry-After on the wire (1 s)', async () => {
    receiver = await startReceiver([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const out = await deliver({ url: receiver.url, body: '{}' }, policy);
    expect(out.ok).toBe(true);
    expect(out.attempts[0].waitMs).toBe(1000);
    const [first, second] = receiver.received;
    // Timer granularity allows a few ms early; the jittered backoff alone would be < 10 ms.
    expect(second.at - first.at).toBeGreaterThanOrEqual(990);
  });

  it('stops when Retry-After exceeds the longest honoured wait', async () => {
    receiver = await startReceiver([{ status: 503, headers: { 'retry-after': '120' } }, { status: 200 }]);
    const { waits, sleep } = recordingSleep();
    const out = await deliver(
      { url: receiver.url, body: '{}' },
      { ...policy, maxRetryAfterMs: 5000 },
      { sleep },
    );
    expect(out.ok).toBe(false);
    expect(out.ok ? '' : out.error).toMatch(/Retry-After 120000 ms exceeds 5000 ms/);
    expect(receiver.received).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('times out a receiver that does not answer, and retries it', async () => {
    receiver = await startReceiver((n) => (n === 0 ? { status: 200, delayMs: 2000 } : { status: 200 }));
    const { sleep } = recordingSleep();
    const t0 = Date.now();
    const out = await deliver({ url: receiver.url, body: '{}' }, { ...policy, timeoutMs: 150 }, { sleep });
    expect(out.ok).toBe(true);
    expect(out.attempts[0]).toMatchObject({ status: null });
    expect(out.attempts[0].error).toMatch(/timed out after 150 ms/);
    expect(receiver.received).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('retries network errors (connection refused) and reports the failure', async () => {
    const url = await closedPortUrl();
    const { waits, sleep } = recordingSleep();
    const out = await deliver({ url, body: '{}' }, { ...policy, maxRetries: 2 }, { sleep });
    expect(out.ok).toBe(false);
    expect(out.status).toBeNull();
    expect(out.ok ? '' : out.error).toMatch(/ECONNREFUSED/);
    expect(out.attempts).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('calls a header function before every attempt', async () => {
    receiver = await startReceiver([{ status: 500 }, { status: 200 }]);
    let n = 0;
    const { sleep } = recordingSleep();
    await deliver({ url: receiver.url, body: '{}', headers: () => ({ 'x-n': String(++n) }) }, policy, {
      sleep,
    });
    expect(receiver.received.map((r) => r.headers['x-n'])).toEqual(['1', '2']);
  });
});

describe('backoff and Retry-After parsing', () => {
  it('full jitter stays within [0, min(cap, base·2^(n−1)))', () => {
    const rng = npRandom(3).rng;
    for (let n = 1; n <= 12; n++) {
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(n, rng.random(), 100, 5000);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(5000, 100 * 2 ** (n - 1)));
      }
    }
    // u → 1 approaches the ceiling: 100 · 2^3 = 800 for the 4th retry.
    expect(backoffDelay(4, 0.999999, 100, 5000)).toBe(799);
  });

  it('reads delay-seconds and HTTP-dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

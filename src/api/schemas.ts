/**
 * The records only the HTTP API speaks: login, tokens, jobs, baselines as served, health and
 * the error envelope. The evaluation records themselves (request, result, metrics, regression,
 * Nash) are the ones in ../evaluation/schemas.ts, used as they are. TypeBox schemas first:
 * they drive validation, serialisation, handler types and the OpenAPI document.
 */
import Type, { type Static } from 'typebox';
import { BaselineMetrics, EvaluationResult } from '../evaluation/schemas.js';

export const ErrorEnvelope = Type.Object(
  {
    error: Type.String({
      description:
        'machine-readable kind: validation, unauthorized, forbidden, not_found, conflict, payload_too_large, ' +
        'unsupported_media_type, rate_limited, unavailable, internal',
    }),
    message: Type.String({ description: 'what went wrong, for a person' }),
    details: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'context, e.g. `field` naming the bad input',
      }),
    ),
    trace_id: Type.Optional(
      Type.String({
        description:
          'the OpenTelemetry trace id of the request when tracing is on; otherwise the request id (X-Request-Id)',
      }),
    ),
  },
  { $id: 'ErrorEnvelope' },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

export const Role = Type.Union([Type.Literal('viewer'), Type.Literal('developer'), Type.Literal('admin')], {
  description: 'viewer < developer < admin',
});

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { $id: 'LoginRequest', additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const RefreshRequest = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 4096 }) },
  { $id: 'RefreshRequest', additionalProperties: false },
);
export type RefreshRequest = Static<typeof RefreshRequest>;

export const TokenPair = Type.Object(
  {
    access_token: Type.String({ description: 'HS256 JWT, `typ` access; send as `Authorization: Bearer …`' }),
    refresh_token: Type.String({
      description: 'HS256 JWT, `typ` refresh; single use (rotated by /auth/refresh)',
    }),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'access token lifetime in seconds' }),
    refresh_expires_in: Type.Integer({ description: 'refresh token lifetime in seconds' }),
    role: Role,
  },
  { $id: 'TokenPair' },
);
export type TokenPair = Static<typeof TokenPair>;

export const JobStatus = Type.Union(
  [Type.Literal('pending'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')],
  { description: 'pending → running → completed | failed' },
);

export const JobError = Type.Object({
  error: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const Timestamp = (description: string) => Type.String({ format: 'date-time', description });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const Job = Type.Object(
  {
    job_id: Type.String({ format: 'uuid' }),
    status: JobStatus,
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    agent_type: Type.String(),
    environments: Type.Array(Type.String()),
    attempts: Type.Integer({ minimum: 0 }),
    trial_id: Nullable(Type.String()),
    created_at: Timestamp('when the job was submitted'),
    started_at: Nullable(Timestamp('first time a worker took it')),
    finished_at: Nullable(Timestamp('when it completed or failed for good')),
    result: Nullable(EvaluationResult),
    error: Nullable(JobError),
  },
  { $id: 'Job' },
);
export type Job = Static<typeof Job>;

export const JobParams = Type.Object(
  { job_id: Type.String({ format: 'uuid', description: 'the id POST /v1/evaluate returned' }) },
  { additionalProperties: false },
);

export const EvaluateQuery = Type.Object(
  {
    wait: Type.Optional(Type.Boolean({ description: 'block until the job ends or `timeout` passes' })),
    timeout: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 300,
        description: 'seconds to wait with wait=true (default 30, at most 300)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const EvaluateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'the same key from the same user returns the same job',
    }),
  ),
});

export const Baseline = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    agent_type: Type.String(),
    environment: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    rank: Nullable(Type.Integer({ minimum: 1 })),
    metrics: BaselineMetrics,
    hyperparameters: Type.Record(Type.String(), Type.Unknown()),
    source_job_id: Nullable(Type.String({ format: 'uuid' })),
    created_by: Nullable(Type.String({ format: 'uuid' })),
    created_at: Timestamp('when the record was inserted'),
  },
  { $id: 'Baseline' },
);
export type Baseline = Static<typeof Baseline>;

export const BaselineParams = Type.Object(
  { agent_type: Type.String({ minLength: 1, maxLength: 20, description: 'dqn, a2c, ppo or ddpg' }) },
  { additionalProperties: false },
);

export const BaselineQuery = Type.Object(
  {
    environment: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'environment id, e.g. CartPole-v1',
    }),
    top_n: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'history length (default 10)' }),
    ),
  },
  { additionalProperties: false },
);

export const BaselineView = Type.Object(
  {
    agent_type: Type.String(),
    environment: Type.String(),
    best: Baseline,
    history: Type.Array(Baseline, { description: 'active records by rank, rank 1 first' }),
  },
  { $id: 'BaselineView' },
);

export const NewBaseline = Type.Object(
  {
    agent_type: Type.String({ minLength: 1, maxLength: 20 }),
    environment: Type.String({ minLength: 1, maxLength: 100 }),
    metrics: BaselineMetrics,
    hyperparameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    source_job_id: Type.Optional(Type.String({ format: 'uuid', description: 'the job that measured it' })),
  },
  { $id: 'NewBaseline', additionalProperties: false },
);
export type NewBaseline = Static<typeof NewBaseline>;

export const BaselineInserted = Type.Object(
  {
    baseline: Baseline,
    rank: Type.Integer({ minimum: 1 }),
    version: Type.Integer({ minimum: 1 }),
    is_new_best: Type.Boolean({ description: 'true when it became rank 1' }),
  },
  { $id: 'BaselineInserted' },
);

export const Check = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('not_configured')]),
  latency_ms: Nullable(Type.Number({ minimum: 0 })),
  error: Type.Optional(Type.String()),
});

export const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('unhealthy')]),
    version: Type.String(),
    uptime_seconds: Type.Number({ minimum: 0 }),
    queue: Type.String({ description: 'embedded (in-process workers) or distributed (BullMQ on Redis)' }),
    checks: Type.Object({ postgres: Check, redis: Check }),
  },
  { $id: 'Health' },
);
export type Health = Static<typeof Health>;

export const Liveness = Type.Object(
  {
    status: Type.Literal('alive'),
    version: Type.String(),
    uptime_seconds: Type.Number({ minimum: 0 }),
  },
  { $id: 'Liveness' },
);
export type Liveness = Static<typeof Liveness>;

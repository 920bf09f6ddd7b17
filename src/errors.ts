/** One field that a client must fix, located by JSON path within the request part it came from. */
export interface FieldError {
  /** Where the problem is: `query.region`, `body.operations.1.platform.settings.0.name`, … */
  field: string;
  message: string;
}

export type ProblemCode =
  | 'bad-request'
  | 'validation-failed'
  | 'not-found'
  | 'version-not-found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'precondition-failed'
  | 'idempotency-key-reused'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'request-timeout'
  | 'headers-too-large'
  | 'rate-limited'
  | 'service-unavailable'
  | 'internal';

const TITLES: Record<ProblemCode, string> = {
  'bad-request': 'Bad request',
  'validation-failed': 'The request is not valid',
  'not-found': 'Not found',
  'version-not-found': 'Registry version not found',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed for this key',
  conflict: 'Conflict',
  'precondition-failed': 'Precondition failed',
  'idempotency-key-reused': 'Idempotency key reused with a different request',
  'unsupported-media-type': 'Unsupported media type',
  'payload-too-large': 'Request body too large',
  'request-timeout': 'Request timeout',
  'headers-too-large': 'Request headers too large',
  'rate-limited': 'Too many requests',
  'service-unavailable': 'Service unavailable',
  internal: 'Internal server error',
};

/** An error the client can act on; the root error handler renders it as RFC 9457 problem+json. */
export class ProblemError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly errors?: FieldError[];
  readonly extensions?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(
    status: number,
    code: ProblemCode,
    detail: string,
    opts: { errors?: FieldError[]; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.code = code;
    this.title = TITLES[code];
    this.errors = opts.errors;
    this.extensions = opts.extensions;
    this.headers = opts.headers;
  }
}

export const problemTitle = (code: ProblemCode) => TITLES[code];

export const notFound = (detail: string) => new ProblemError(404, 'not-found', detail);
export const badRequest = (detail: string, errors?: FieldError[], extensions?: Record<string, unknown>) =>
  new ProblemError(400, 'bad-request', detail, { errors, extensions });
export const unprocessable = (detail: string, errors: FieldError[]) => new ProblemError(422, 'validation-failed', detail, { errors });

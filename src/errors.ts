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
  | 'method-not-allowed'
  | 'not-acceptable'
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
  'method-not-allowed': 'Method not allowed',
  'not-acceptable': 'Not acceptable',
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

/**
 * What each problem code means and the statuses it comes with: documented once, in the Problem
 * schema and in each error response's description.
 */
export const PROBLEM_CODES: Record<ProblemCode, { statuses: readonly number[]; meaning: string }> = {
  'bad-request': {
    statuses: [400, 414],
    meaning: 'the request could not be read: an undecodable or over-long URL, a malformed header, a cursor this API did not issue.',
  },
  'validation-failed': {
    statuses: [400, 422],
    meaning:
      '400: a parameter, header or the body does not match the schema; 422: the change is well-formed but would leave a platform record invalid. `errors` names every field to fix.',
  },
  'not-found': { statuses: [404], meaning: 'there is no such platform (or route).' },
  'version-not-found': { statuses: [404], meaning: 'the registry version asked for has not been written yet.' },
  'method-not-allowed': { statuses: [405], meaning: 'the path exists but not with this method; `Allow` lists the ones it takes.' },
  'not-acceptable': {
    statuses: [406],
    meaning:
      'the `Accept` header rules out every media type this operation answers with (MCP clients must accept `application/json` and `text/event-stream`).',
  },
  unauthorized: { statuses: [401], meaning: 'no valid API key: send `Authorization: Bearer <key>`.' },
  forbidden: { statuses: [403], meaning: 'the key’s role does not allow this operation.' },
  conflict: {
    statuses: [409],
    meaning:
      'the change conflicts with the registry’s state (the platform is already retired; a later change set touched what a revert would undo).',
  },
  'precondition-failed': {
    statuses: [412],
    meaning: 'the platform is not at the version that If-Match, If-None-Match or `ifVersion` names; `currentEtag` says where it is.',
  },
  'idempotency-key-reused': {
    statuses: [422],
    meaning: 'this Idempotency-Key was already used by this key for a different request; use a new key for a new request.',
  },
  'unsupported-media-type': { statuses: [415], meaning: 'the body’s Content-Type is not one this operation accepts.' },
  'payload-too-large': { statuses: [413], meaning: 'the body is larger than this API accepts.' },
  'rate-limited': { statuses: [429], meaning: 'this client sent too many requests; retry after the seconds in Retry-After.' },
  'request-timeout': { statuses: [408], meaning: 'the request’s headers or body did not arrive in time; send it again, whole.' },
  'headers-too-large': {
    statuses: [431],
    meaning: 'the request’s headers are larger than this API accepts (MAX_HEADER_BYTES); send fewer or shorter ones.',
  },
  'service-unavailable': {
    statuses: [503],
    meaning: 'the server is overloaded, or its database cannot take the request now; retry after the seconds in Retry-After.',
  },
  internal: { statuses: [500], meaning: 'something failed on the server’s side; it is logged, and the request may be retried later.' },
};

export const PROBLEM_CODE_LIST = Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]];

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

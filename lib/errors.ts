/**
 * The error catalogue: every error floorwatch raises on purpose, once, with a stable code.
 * Callers and tests match on `code`, never on the message. docs/errors.md is generated from it
 * (`node scripts/errors-doc.mjs`); test/docs-errors.test.ts fails when the doc is stale or a
 * code is never raised.
 */
import { GrpcStatus } from './grpc-status.js';

export const errorCatalogue = {
  FW_ERR_CONFIG_INVALID: { grpc: GrpcStatus.INVALID_ARGUMENT, text: 'configuration is invalid' },
  FW_ERR_CONFIG_UNREADABLE: { grpc: GrpcStatus.INVALID_ARGUMENT, text: 'configuration file cannot be read' },
  FW_ERR_WIRE_NO_HELLO: { grpc: GrpcStatus.FAILED_PRECONDITION, text: 'the first message of a stream must be a hello' },
  FW_ERR_WIRE_HELLO_TIMEOUT: { grpc: GrpcStatus.DEADLINE_EXCEEDED, text: 'no hello within the deadline' },
  FW_ERR_WIRE_BAD_HELLO: { grpc: GrpcStatus.INVALID_ARGUMENT, text: 'hello is malformed' },
  FW_ERR_WIRE_VERSION: { grpc: GrpcStatus.FAILED_PRECONDITION, text: 'protocol version not supported' },
  FW_ERR_WIRE_UNKNOWN_SERIES: { grpc: GrpcStatus.INVALID_ARGUMENT, text: 'batch refers to an undeclared series' },
  FW_ERR_WIRE_BAD_BATCH: { grpc: GrpcStatus.INVALID_ARGUMENT, text: 'batch is malformed' },
  FW_ERR_WIRE_TOO_MANY_SERIES: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, text: 'too many series declared on one stream' },
  FW_ERR_WIRE_DUPLICATE_AGENT: { grpc: GrpcStatus.ALREADY_EXISTS, text: 'another stream of this agent replaced this one' },
  FW_ERR_AUTH_TOKEN: { grpc: GrpcStatus.UNAUTHENTICATED, text: 'missing or wrong token' },
  FW_ERR_AUTH_IDENTITY: { grpc: GrpcStatus.PERMISSION_DENIED, text: 'agent id does not match the client certificate' },
  FW_ERR_BRAIN_OVERLOADED: { grpc: GrpcStatus.UNAVAILABLE, text: 'brain is shedding load' },
  FW_ERR_STORE_WRITE: { grpc: GrpcStatus.UNAVAILABLE, text: 'time-series store write failed' },
  FW_ERR_STATE_DISK: { grpc: GrpcStatus.UNAVAILABLE, text: "the brain's state disk is full or failing: keep the batch queued and retry" },
  FW_ERR_PAIR_SECONDARY: {
    grpc: GrpcStatus.UNAVAILABLE,
    text: 'this brain is the secondary of a brain pair; send to the primary (the next address)',
  },
  // paging
  FW_ERR_PAGING_REJECTED: { grpc: GrpcStatus.INVALID_ARGUMENT, text: 'the paging gateway refused the notification for good' },
  FW_ERR_PAGING_GATEWAY: { grpc: GrpcStatus.UNAVAILABLE, text: 'the paging gateway failed; a retry may succeed' },
  FW_ERR_PAGING_TIMEOUT: { grpc: GrpcStatus.DEADLINE_EXCEEDED, text: 'the paging gateway did not answer in time' },
  FW_ERR_PAGING_UNREACHABLE: { grpc: GrpcStatus.UNAVAILABLE, text: 'the paging gateway cannot be reached' },
  FW_ERR_PAGING_NO_ADDRESS: { grpc: GrpcStatus.FAILED_PRECONDITION, text: 'the recipient has no address on this channel' },
  FW_ERR_PAGING_OUTBOX_FULL: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, text: 'the notification outbox is full' },
  // incidents API (HTTP and CLI)
  FW_ERR_INCIDENT_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, text: 'no such incident' },
  FW_ERR_INCIDENT_RESOLVED: { grpc: GrpcStatus.FAILED_PRECONDITION, text: 'the incident is resolved and cannot change' },
  FW_ERR_INCIDENT_BAD_REQUEST: { grpc: GrpcStatus.INVALID_ARGUMENT, text: 'the request is malformed' },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class FloorwatchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${errorCatalogue[code].text}: ${detail}` : errorCatalogue[code].text, options);
    this.code = code;
    this.name = 'FloorwatchError';
  }
  get grpcStatus(): number {
    return errorCatalogue[this.code].grpc;
  }
}

/** A configuration problem, located: `file:line: field: message`. */
export class ConfigError extends FloorwatchError {
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly problem: string;
  constructor(file: string, line: number, field: string, problem: string) {
    super('FW_ERR_CONFIG_INVALID', `${file}:${line}: ${field || '(top level)'}: ${problem}`);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.field = field;
    this.problem = problem;
  }

  /** `file:line: field: problem`, without the catalogue's prefix (for listings of several files). */
  get located(): string {
    return `${this.file}:${this.line}: ${this.field || '(top level)'}: ${this.problem}`;
  }
}

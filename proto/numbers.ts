/**
 * 64-bit fields (seqs, cumulative counts) decode as plain numbers, not `Long` objects: protobufjs
 * uses the `long` package whenever it can load it (it depends on it), and `--force-number` at
 * generation does not stop the reader from returning Longs. Seqs and counts stay far below 2^53.
 * Imported by wire.ts BEFORE the generated code: its field defaults are decided when it loads.
 */
import protobuf from 'protobufjs/minimal.js';

(protobuf.util as { Long: unknown }).Long = undefined;
protobuf.configure();

/**
 * This app's one index on Message DB's table (src/db/install-trace-index.ts builds it): each
 * message's trace id. Named for us, so nothing of Message DB's own is mistaken for it.
 */
export const TRACE_INDEX = 'video_tutorials_messages_trace';

/**
 * The indexed expression. PostgreSQL uses an expression index only for a condition on the
 * same expression, so every lookup of a trace is written with this text.
 */
export const TRACE_ID_EXPRESSION = `(metadata->>'traceId')`;

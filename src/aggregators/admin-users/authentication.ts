import {
  authenticationSchemas,
  authenticationStreamName,
  type AuthenticationEvent,
} from '../../contracts/authentication.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';

type LogInEvent = Recorded<AuthenticationEvent>;

/** The row guard compares positions along one stream: an event must be in its user's stream. */
function parseLogInEvent(message: RawMessage): LogInEvent | undefined {
  const event = parseMessage(authenticationSchemas, message);
  if (event && event.streamName !== authenticationStreamName(event.data.userId)) {
    throw new MessageDataError(event.id, event.type, `written to ${event.streamName}, not its user's stream`);
  }
  return event;
}

/**
 * Counts a batch of log-ins in one statement, as the videos' views are counted: grouped by
 * user, each group takes only the events past the row's authentication_position and moves it
 * to the last, so a replay counts nothing twice however its batches are cut. The guard is read
 * before the upsert locks the rows; only this subscriber writes it, and two copies of one
 * member take turns (the position lock). Rows are locked in user id order, as every writer of
 * admin_users locks them.
 */
export const authenticationProjection: BatchProjection<LogInEvent> = {
  parse: parseLogInEvent,
  async apply(events, trx) {
    await trx.raw(
      `INSERT INTO admin_users AS counted (user_id, log_ins, failed_log_ins, last_log_in_at, authentication_position)
       SELECT event.user_id,
              count(*) FILTER (WHERE event.type = 'UserLoggedIn'),
              count(*) FILTER (WHERE event.type = 'UserLoginFailed'),
              max(event.time) FILTER (WHERE event.type = 'UserLoggedIn'),
              max(event.global_position)
         FROM unnest(?::uuid[], ?::text[], ?::bigint[], ?::timestamptz[]) AS event (user_id, type, global_position, time)
         LEFT JOIN admin_users AS existing ON existing.user_id = event.user_id
        WHERE existing.authentication_position IS NULL OR event.global_position > existing.authentication_position
        GROUP BY event.user_id
        ORDER BY event.user_id
       ON CONFLICT (user_id) DO UPDATE
          SET log_ins = counted.log_ins + excluded.log_ins,
              failed_log_ins = counted.failed_log_ins + excluded.failed_log_ins,
              last_log_in_at = greatest(counted.last_log_in_at, excluded.last_log_in_at),
              authentication_position = excluded.authentication_position`,
      [
        events.map((event) => event.data.userId),
        events.map((event) => event.type),
        events.map((event) => event.globalPosition),
        events.map((event) => event.time),
      ],
    );
  },
};

import type { Knex } from 'knex';

interface StreamRow {
  readonly streamName: string;
  readonly category: string;
  readonly messageCount: number;
  readonly lastPosition: number;
  readonly lastGlobalPosition: number;
  readonly lastTime: Date;
}

interface CategoryRow {
  readonly category: string;
  readonly messageCount: number;
  readonly streamCount: number;
  readonly lastGlobalPosition: number;
  readonly lastTime: Date;
}

interface TypeRow {
  readonly category: string;
  readonly type: string;
  readonly messageCount: number;
  readonly lastGlobalPosition: number;
  readonly lastTime: Date;
}

interface Page<T, Cursor> {
  readonly rows: readonly T[];
  readonly next: Cursor | undefined;
}

function page<T, Cursor>(rows: readonly T[], pageSize: number, cursorOf: (row: T) => Cursor): Page<T, Cursor> {
  const shown = rows.slice(0, pageSize);
  const last = shown.at(-1);
  return { rows: shown, next: rows.length > pageSize && last !== undefined ? cursorOf(last) : undefined };
}

type Counted = { message_count: string; last_global_position: string; last_time: Date };
const counts = (row: Counted) => ({
  messageCount: Number(row.message_count),
  lastGlobalPosition: Number(row.last_global_position),
  lastTime: row.last_time,
});

/** Reads of the admin-streams projection, each a keyset page along one of its indexes. */
export function createStreamsQueries(db: Knex) {
  return {
    /** Most recently written first; a stream's last global position is its own, so it is the cursor. */
    async streams({
      category,
      before,
      pageSize,
    }: {
      category: string | undefined;
      before: number | undefined;
      pageSize: number;
    }): Promise<Page<StreamRow, number>> {
      const query = db('admin_streams')
        .orderBy('last_global_position', 'desc')
        .limit(pageSize + 1)
        .select<(Counted & { stream_name: string; category: string; last_position: string })[]>(
          'stream_name',
          'category',
          'message_count',
          'last_position',
          'last_global_position',
          'last_time',
        );
      if (category !== undefined) query.where({ category });
      if (before !== undefined) query.where('last_global_position', '<', before);
      const rows = (await query).map((row) => ({
        streamName: row.stream_name,
        category: row.category,
        lastPosition: Number(row.last_position),
        ...counts(row),
      }));
      return page(rows, pageSize, (row) => row.lastGlobalPosition);
    },

    async categories({
      after,
      pageSize,
    }: {
      after: string | undefined;
      pageSize: number;
    }): Promise<Page<CategoryRow, string>> {
      const query = db('admin_categories')
        .orderBy('category')
        .limit(pageSize + 1)
        .select<(Counted & { category: string; stream_count: string })[]>(
          'category',
          'message_count',
          'stream_count',
          'last_global_position',
          'last_time',
        );
      if (after !== undefined) query.where('category', '>', after);
      const rows = (await query).map((row) => ({
        category: row.category,
        streamCount: Number(row.stream_count),
        ...counts(row),
      }));
      return page(rows, pageSize, (row) => row.category);
    },

    async types({
      category,
      after,
      pageSize,
    }: {
      category: string | undefined;
      after: readonly [string, string] | undefined;
      pageSize: number;
    }): Promise<Page<TypeRow, readonly [string, string]>> {
      const query = db('admin_message_types')
        .orderBy([{ column: 'category' }, { column: 'type' }])
        .limit(pageSize + 1)
        .select<(Counted & { category: string; type: string })[]>(
          'category',
          'type',
          'message_count',
          'last_global_position',
          'last_time',
        );
      if (category !== undefined) query.where({ category });
      if (after !== undefined) query.whereRaw('(category, type) > (?, ?)', [after[0], after[1]]);
      const rows = (await query).map((row) => ({ category: row.category, type: row.type, ...counts(row) }));
      return page(rows, pageSize, (row) => [row.category, row.type] as const);
    },
  };
}

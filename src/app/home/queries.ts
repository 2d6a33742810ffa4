import type { Knex } from 'knex';

interface HomePageView {
  readonly videosWatched: number;
}

export function createHomeQueries(db: Knex) {
  return {
    async loadHomePage(): Promise<HomePageView> {
      const row = await db('home_page').where({ page_name: 'home' }).first<{ videos_watched: string } | undefined>('videos_watched');
      return { videosWatched: row ? Number(row.videos_watched) : 0 };
    },
  };
}

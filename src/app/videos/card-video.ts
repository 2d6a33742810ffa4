/** What a video card shows, in every list of videos: home, /popular, /newest, up next, similar videos. */
export interface CardVideo {
  readonly videoId: string;
  readonly name: string | null;
  readonly creator: string | null;
  /** Links the name to /@<handle>; null without a profile. */
  readonly creatorHandle: string | null;
  readonly durationSeconds: number | null;
  readonly posterUri: string | null;
}

/** The columns a card's query selects (CREATOR_LABEL_SQL in ./creator-label.ts names the creator's two). */
export interface CardRow {
  readonly video_id: string;
  readonly name: string | null;
  readonly creator: string | null;
  readonly creator_handle: string | null;
  readonly duration_seconds: number | null;
  readonly poster_uri: string | null;
}

/** A card from its row; an empty creator label reads as none. */
export function cardVideo(row: CardRow): CardVideo {
  return {
    videoId: row.video_id,
    name: row.name,
    creator: row.creator || null,
    creatorHandle: row.creator_handle,
    durationSeconds: row.duration_seconds,
    posterUri: row.poster_uri,
  };
}

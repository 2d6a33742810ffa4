/** A video's status as an admin reads it: the projection's words, but "taken down" in two. */
export const videoStatusLabel = (status: string): string => (status === 'takenDown' ? 'taken down' : status);

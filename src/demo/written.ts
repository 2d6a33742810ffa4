/** A message a seeding run wrote: what it reports, and what a test counts. */
export interface WrittenMessage {
  readonly streamName: string;
  readonly type: string;
}

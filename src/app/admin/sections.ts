import { asOfSection } from './as-of/index.ts';
import { dashboardSection } from './dashboard/index.ts';
import { exportsSection } from './exports/index.ts';
import { messagesSection } from './messages/index.ts';
import { parkedSection } from './parked/index.ts';
import { rebuildSection } from './rebuild/index.ts';
import type { AdminSectionFactory } from './section.ts';
import { streamsSection } from './streams/index.ts';
import { subscribersSection } from './subscribers/index.ts';
import { tracesSection } from './traces/index.ts';
import { usersSection } from './users/index.ts';
import { videosSection } from './videos/index.ts';

/**
 * The admin portal's sections, in nav order. Each lives in its own folder under src/app/admin/
 * and is added here with one line.
 */
export const adminSections: readonly AdminSectionFactory[] = [
  dashboardSection,
  usersSection,
  videosSection,
  messagesSection,
  tracesSection,
  streamsSection,
  subscribersSection,
  parkedSection,
  exportsSection,
  rebuildSection,
  asOfSection,
];

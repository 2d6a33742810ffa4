import type { WelcomeEmails } from '../../../components/identity/welcome-email.ts';
import { redactText } from '../../../personal-data/redact.ts';
import { countLabel, messageHref, streamMessagesHref, timeLabel } from '../shared/format.ts';
import { videoStatusLabel } from '../shared/video-status.ts';
import type { AdminUser, UserVideo } from './queries.ts';
import type { TimelineEntry } from './timeline.ts';

export const userHref = (userId: string): string => `/admin/users/${userId}`;

export function userView(user: AdminUser) {
  return {
    userId: user.userId,
    href: userHref(user.userId),
    email: user.email ?? '(not registered)',
    /** Shown with <bdi> (the templates): a name is whatever its user typed. */
    displayName: user.displayName ?? '—',
    handle: user.handle,
    registeredAt: timeLabel(user.registeredAt),
    welcomeEmail: user.welcomeEmailSentAt ? timeLabel(user.welcomeEmailSentAt) : 'not sent',
    roles: user.roles.length > 0 ? user.roles.join(', ') : '—',
    logIns: countLabel(user.logIns),
    failedLogIns: countLabel(user.failedLogIns),
    lastLogInAt: timeLabel(user.lastLogInAt),
    videos: countLabel(user.videos),
    viewings: countLabel(user.viewings),
    countedViewings: countLabel(user.countedViewings),
  };
}

export function videoView(video: UserVideo) {
  return {
    videoId: video.videoId,
    name: video.name ?? 'Untitled',
    status: videoStatusLabel(video.status),
    acceptedAt: timeLabel(video.acceptedAt),
    // Its admin page: where it stands, its messages, and its take-down.
    href: `/admin/videos/${video.videoId}`,
  };
}

export function entryView(entry: TimelineEntry) {
  return {
    globalPosition: entry.globalPosition,
    href: messageHref(entry.globalPosition),
    time: timeLabel(entry.time),
    timeIso: entry.time.toISOString(),
    type: entry.type,
    streamName: entry.streamName,
    streamHref: streamMessagesHref(entry.streamName),
    about: entry.about,
  };
}

/**
 * The latest welcome email as the user's identity stream tells it, with send-email's reason (no
 * address or path is stored in one; an older reason may hold an address, masked here).
 */
export function welcomeEmailLabel({ latest }: WelcomeEmails): string {
  if (!latest) return 'none asked for';
  const reason = redactText(latest.reason ?? '');
  switch (latest.state) {
    case 'requested':
      return `asked for ${timeLabel(latest.at)}, no answer yet`;
    case 'retrying':
      return `not delivered yet: ${reason}; next try ${timeLabel(latest.nextAttemptAt)}`;
    case 'sent':
      return `sent ${timeLabel(latest.at)}`;
    case 'failed':
      return `failed ${timeLabel(latest.at)}: ${reason}`;
  }
}

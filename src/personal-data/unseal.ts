import { ERASED, isSealed, SEALED, SealBrokenError, type PersonalData } from './seal.ts';

/**
 * Whose key seals a message's personal fields, as the contracts name them: `sealedFor` (an
 * email's recipient, send-email) or else `userId` (identity's messages).
 */
function sealOwner(data: Record<string, unknown>): string | undefined {
  const owner = typeof data.sealedFor === 'string' ? data.sealedFor : data.userId;
  return typeof owner === 'string' ? owner : undefined;
}

/**
 * A message's data with its sealed fields opened: for the admin's page to mask as it masks any
 * address (redactForDisplay), since the ciphertext tells an admin nothing; and for a user's own
 * download, with `onlyFor` their id, so that a field sealed for anyone else stays "[sealed]". A field whose user is erased
 * reads "[erased]"; one whose owner the data does not name, or that does not open with their key
 * (altered in the store), stays "[sealed]". Sealed fields sit at the top of the data.
 * `keepUnopened` leaves a field that does not open as it was, for a reader that checks the data
 * against its contract (the as-of fold), which a marker in an address's place would break.
 */
export async function openSealedFields(
  personalData: PersonalData,
  data: unknown,
  { keepUnopened = false, onlyFor }: { keepUnopened?: boolean; onlyFor?: string } = {},
): Promise<unknown> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const fields = data as Record<string, unknown>;
  if (!Object.values(fields).some(isSealed)) return data;
  const owner = sealOwner(fields);
  const opened = await Promise.all(
    Object.entries(fields).map(async ([key, value]): Promise<[string, unknown]> => {
      if (!isSealed(value)) return [key, value];
      if (owner === undefined || (onlyFor !== undefined && owner !== onlyFor))
        return [key, keepUnopened ? value : SEALED];
      try {
        const opened = await personalData.open(owner, value);
        return [key, opened ?? (keepUnopened ? value : ERASED)];
      } catch (error) {
        if (error instanceof SealBrokenError) return [key, keepUnopened ? value : SEALED];
        throw error;
      }
    }),
  );
  return Object.fromEntries(opened);
}

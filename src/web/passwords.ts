import bcrypt from 'bcrypt';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Does `password` match `hash`? With no hash (no such account) it still does a full bcrypt
   * comparison, against a hash of nothing anyone knows, so the answer takes as long either way.
   */
  verify(password: string, hash: string | undefined): Promise<boolean>;
}

/** bcrypt on libuv's thread pool, so hashing never blocks the event loop; `cost` is BCRYPT_COST. */
export function createPasswordHasher(cost: number): PasswordHasher {
  // Made at once, so even the first unknown email costs no more than a known one.
  const dummy = bcrypt.hash(`no account ${Math.random()}`, cost);
  return {
    hash: (password) => bcrypt.hash(password, cost),
    async verify(password, hash) {
      if (hash === undefined) {
        await bcrypt.compare(password, await dummy);
        return false;
      }
      return bcrypt.compare(password, hash);
    },
  };
}

import { randomBytes } from 'node:crypto';
import { type Algorithm, hash, verify } from '@node-rs/argon2';

/**
 * argon2id at OWASP's baseline (19 MiB, 2 passes, 1 lane): about 15 ms per
 * verify on one core here. Sign-ins are rare and rate-limited, so the cost is
 * paid by guessers, not by the API's throughput (API keys use a fast digest).
 */
const PARAMS = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * The hash of a random password nobody knows, with the same parameters: a
 * sign-in for an email without an operator verifies against it, so it costs
 * the same time as a wrong password and does not reveal which emails exist.
 */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$DFgaSoH6vNetRJ9BYVCOVg$jV8sGk6ortum0FPFJyBNX7eWnsMfSXs8tlBOg6yKaeg';

export async function hashPassword(password: string): Promise<string> {
  return await hash(password, PARAMS);
}

/** `storedHash` undefined (no such operator) still runs one full verify, and is never a match. */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  try {
    const matches = await verify(storedHash ?? DUMMY_HASH, password);
    return matches && storedHash !== undefined;
  } catch {
    // A stored hash that does not parse matches nothing.
    return false;
  }
}

/** For the admin created on first start without HERALD_ADMIN_PASSWORD: 144 random bits, 24 characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

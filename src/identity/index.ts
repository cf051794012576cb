/**
 * trezor-direct/identity: "Log in with Trezor" (SLIP-13 SignIdentity) with replay protection.
 *
 * login() runs in the page with a connected Trezor; createChallenge() and verifyLogin() run on
 * the server. The whole entry is free of device and transport code (login talks to the Trezor
 * object it is handed), so a server imports it without pulling in WebUSB, UDP or the session
 * layer; test/exports.test.ts checks that.
 *
 * @example
 * // server
 * import { createChallenge, verifyLogin } from 'trezor-direct/identity';
 * const challenge = createChallenge({ secret, origin: 'https://example.com' });
 * const { publicKey } = await verifyLogin({ secret, origin: 'https://example.com', response });
 * // page
 * import { login } from 'trezor-direct/identity';
 * const response = await login(trezor, { ...challenge, identity: location.origin });
 */
export { login, type LoginParameters, type LoginResponse } from './login.js';
export {
  createChallenge,
  verifyLogin,
  memoryNonceStore,
  LoginRejectedError,
  LOGIN_WINDOW_MS,
  type Challenge,
  type CreateChallengeParameters,
  type VerifyLoginParameters,
  type LoginResult,
  type LoginRejection,
  type NonceStore,
} from './server.js';
export {
  parseIdentity,
  identityUri,
  identityOrigin,
  identityPath,
  identityAddress,
  verifyIdentitySignature,
  type Identity,
  type IdentityCurve,
  type IdentitySignature,
} from './slip13.js';

// A real OpenID provider for the tests: the certified oidc-provider package, configured
// from the environment by tests/support/oidc.py. Not for production: its logins are the
// package's development interactions (any login name, any password).
//
//   PORT            the port on 127.0.0.1 (0: the system picks one); the issuer is
//                   http://127.0.0.1:<port>, announced on stdout as one JSON line
//   OIDC_CLIENTS    JSON array of client metadata (client_id, client_secret or jwks,
//                   token_endpoint_auth_method, redirect_uris, ...)
//   OIDC_JWKS       JSON {"keys": [...]}: the provider's private signing keys
//   OIDC_ACCOUNTS   path of a JSON file {account id: {claim: value}}, read on each lookup
//                   so that a test can change an account between two sign-ins
//   OIDC_CLAIMS     optional JSON {scope: [claim, ...]}: which scope releases which claims
//   OIDC_COOKIE_KEY optional key that signs the provider's cookies
//
// It stops when its standard input closes (the test process died) or on SIGTERM.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import * as querystring from 'node:querystring';

// These warnings are about choices made on purpose here: the development interactions
// and an in-memory store are the point of a test provider, Node 20 is what the machines
// of this project have, and checkLogin reads the login form first. Everything else
// the package says goes to stderr, which the Python side keeps for a failing test.
const expected = [/devInteractions/, /in-memory adapter/, /Unsupported runtime/, /already parsed/];
for (const level of ['log', 'info', 'warn']) {
  console[level] = (...args) => {
    const text = args.join(' ');
    if (!expected.some((pattern) => pattern.test(text))) process.stderr.write(`${text}\n`);
  };
}

const { default: Provider } = await import('oidc-provider');

function required(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`provider.mjs: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

const clients = JSON.parse(required('OIDC_CLIENTS'));
const jwks = JSON.parse(required('OIDC_JWKS'));
const accountsFile = required('OIDC_ACCOUNTS');
const claims = JSON.parse(
  process.env.OIDC_CLAIMS
    || JSON.stringify({
      openid: ['sub'],
      profile: ['name', 'family_name', 'given_name', 'middle_name', 'birthdate', 'gender'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      address: ['address'],
      // What a national identity provider adds: the citizen's ID number.
      identity: ['identity_number'],
    }),
);

function readAccounts() {
  return JSON.parse(readFileSync(accountsFile, 'utf8'));
}

const configuration = {
  clients,
  jwks,
  claims,
  scopes: Object.keys(claims),
  responseTypes: ['code'],
  clientDefaults: {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
  },
  // PKCE (always S256 in this version) for every client, confidential ones included.
  pkce: { required: () => true },
  // The claims of the granted scopes in the ID token too, not only at userinfo: a relying
  // party that reads them from the ID token alone must be testable.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    userinfo: { enabled: true },
    revocation: { enabled: true },
  },
  cookies: { keys: [process.env.OIDC_COOKIE_KEY || randomBytes(32).toString('base64url')] },
  // Short lives: a test that waits for an expiry waits seconds, not an hour.
  ttl: {
    AccessToken: 300,
    AuthorizationCode: 60,
    IdToken: 300,
    Interaction: 300,
    Session: 600,
    Grant: 600,
  },
  async findAccount(_ctx, id) {
    const account = readAccounts()[id];
    if (!account) return undefined;
    return {
      accountId: id,
      // The provider keeps only the claims of the granted scopes; `sub` is the account id.
      async claims() {
        return { ...account, sub: id };
      },
    };
  },
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
};

// The development login takes any name; a real provider refuses one it does not know,
// and so does this one (oidc-provider itself would fail later, with a server error).
function checkLogin(req, res, callback) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = querystring.parse(Buffer.concat(chunks).toString());
    if (body.prompt === 'login' && !Object.hasOwn(readAccounts(), String(body.login))) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'access_denied', error_description: 'unknown account' }));
      return;
    }
    // Handed on parsed: oidc-provider reads req.body when the stream has been read.
    req.body = body;
    callback(req, res);
  });
}

const server = http.createServer();
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  let provider;
  try {
    provider = new Provider(issuer, configuration);
  } catch (error) {
    process.stderr.write(`provider.mjs: ${error.stack || error}\n`);
    process.exit(2);
  }
  provider.on('server_error', (_ctx, error) => process.stderr.write(`server_error: ${error.stack}\n`));
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.method === 'POST' && req.url.startsWith('/interaction/')) {
      checkLogin(req, res, callback);
    } else {
      callback(req, res);
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

function stop() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

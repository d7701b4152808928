// A real OpenID Connect provider (npm oidc-provider) for the SSO tests, on loopback only.
//
//   REDIRECT_URI=http://localhost:8000/accounts/oidc/sso/login/callback/ node op.mjs
//
// Listens on a free 127.0.0.1 port and prints one line of JSON, {"issuer": "http://127.0.0.1:PORT"},
// once it answers. Its development login page accepts any login name with any password; the
// login name is the account id (the ID token's `sub`).
//
// Test hooks (this is a test tool; nothing like it belongs in a real provider):
//   PUT /_test/accounts/<id>  {"claims": {...}, "tamper": "aud"|"iss"|"exp"|"signature"|null}
// sets the claims of an account (merged over the defaults below) and, optionally, how the ID
// token the token endpoint returns for it is to be spoiled, to show the site refuses it.
import http from 'node:http';

import Provider from 'oidc-provider';

const CLIENT_ID = process.env.CLIENT_ID || 'course-player';
const CLIENT_SECRET = process.env.CLIENT_SECRET || 'test-secret';
const REDIRECT_URI = process.env.REDIRECT_URI;
if (!REDIRECT_URI) throw new Error('REDIRECT_URI is required');

const accounts = new Map(); // id -> {claims, tamper}

function claimsFor(id) {
  const defaults = {
    sub: id,
    email: `${id}@example.org`,
    email_verified: true,
    name: `User ${id}`,
    preferred_username: id,
  };
  return { ...defaults, ...(accounts.get(id)?.claims || {}), sub: id };
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const unb64 = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());

// Spoil an ID token the way an attacker or a broken provider might: the payload changes and the
// signature stays as it was (so it no longer matches), or, for "signature", a byte of the
// signature flips while the claims stay valid.
function tamper(idToken, how) {
  const [header, payload, signature] = idToken.split('.');
  const claims = unb64(payload);
  if (how === 'signature') {
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] ^= 0xff;
    return [header, payload, bytes.toString('base64url')].join('.');
  }
  if (how === 'aud') claims.aud = 'another-client';
  if (how === 'iss') claims.iss = 'http://127.0.0.1:9/not-the-issuer';
  if (how === 'exp') {
    claims.iat -= 7200;
    claims.exp = Math.floor(Date.now() / 1000) - 3600;
  }
  if (how === 'sub') claims.sub = 'someone-else';
  return [header, b64(claims), signature].join('.');
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
      // allauth sends the secret in the form body when the provider offers it.
      token_endpoint_auth_method: 'client_secret_post',
    }],
    // Every login must use PKCE, so a passing login proves the site sends it.
    pkce: { required: () => true },
    // Put the scopes' claims in the ID token itself (as Entra ID, Keycloak and Okta do), since
    // the site reads the ID token only.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      groups: ['groups'],
    },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => claimsFor(id),
    }),
  });
  provider.proxy = false;

  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && typeof ctx.body.id_token === 'string') {
      const { sub } = unb64(ctx.body.id_token.split('.')[1]);
      const how = accounts.get(sub)?.tamper;
      if (how) ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token, how) };
    }
  });

  const app = provider.callback();
  server.on('request', async (req, res) => {
    const match = req.url.match(/^\/_test\/accounts\/([^/?]+)$/);
    if (!match) return app(req, res);
    if (req.method !== 'PUT') {
      res.writeHead(405).end();
      return undefined;
    }
    const body = await readJson(req);
    accounts.set(decodeURIComponent(match[1]), { claims: body.claims || {}, tamper: body.tamper || null });
    res.writeHead(204).end();
    return undefined;
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));

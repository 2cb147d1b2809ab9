import { useEffect, useState } from 'preact/hooks';
import { fetchDevUsers, userIdOf, type DevUser, type Session } from '../session.js';

/** Pick one of `npm start`'s local users, or paste a token (the only way in production). */
export function SignIn({ onSignIn, notice }: { onSignIn(s: Session): void; notice?: string | undefined }) {
  const [devUsers, setDevUsers] = useState<DevUser[]>();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  useEffect(() => void fetchDevUsers().then(setDevUsers), []);

  const submit = (e: Event) => {
    e.preventDefault();
    const trimmed = token.trim().replace(/^Bearer\s+/i, '');
    const userId = userIdOf(trimmed);
    if (userId instanceof Error) return setError(userId.message);
    onSignIn({ token: trimmed, userId });
  };

  return (
    <main class="sign-in">
      <h1>Chat</h1>
      {notice && (
        <p class="notice" role="alert">
          {notice}
        </p>
      )}
      {devUsers && devUsers.length > 0 && (
        <section aria-labelledby="local-users">
          <h2 id="local-users">Local users</h2>
          <p class="hint">Started by npm start, for development only.</p>
          <ul class="user-picker">
            {devUsers.map((u) => (
              <li key={u.userId}>
                <button type="button" onClick={() => onSignIn({ token: u.token, userId: u.userId, name: u.name })}>
                  <span class="avatar" aria-hidden="true">
                    {u.name.slice(0, 1)}
                  </span>
                  <span>
                    Continue as <strong>{u.name}</strong>
                    <small class="mono">{u.userId}</small>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <form onSubmit={submit} aria-labelledby="token-heading">
        <h2 id="token-heading">Sign in with a token</h2>
        <label for="token">Access token (JWT)</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          spellcheck={false}
          autocomplete="off"
          value={token}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'token-error' : 'token-hint'}
          onInput={(e) => (setToken(e.currentTarget.value), setError(undefined))}
        />
        {error ? (
          <p id="token-error" class="error" role="alert">
            {error}
          </p>
        ) : (
          <p id="token-hint" class="hint">
            Locally: <code>npm run --silent token -- &lt;24-hex userId&gt;</code>
          </p>
        )}
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}

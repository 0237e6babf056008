import { useState } from 'preact/hooks';
import logo from '../favicon.svg';
import { errorMessage, signIn, type Role, type Session } from '../api.js';
import { Spinner } from '../components.js';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [role, setRole] = useState<Role>('admin');
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onSignedIn(await signIn(role, key));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <div class="signin">
      <form class="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="signin-brand">
          <img src={logo} alt="" width="40" height="40" />
          <div>
            <h1 id="signin-title">Brickyard</h1>
            <p>GlusterFS pool console</p>
          </div>
        </div>
        <fieldset class="segmented">
          <legend>Sign in as</legend>
          {(['admin', 'user'] as const).map((r) => (
            <label key={r} class={role === r ? 'is-on' : ''}>
              <input type="radio" name="role" value={r} checked={role === r} onChange={() => setRole(r)} />
              {r === 'admin' ? 'Admin' : 'User (read-only)'}
            </label>
          ))}
        </fieldset>
        {/* For password managers: the key belongs to the JWT issuer name. */}
        <input type="text" name="username" autoComplete="username" value={role} readOnly hidden />
        <label class="field">
          <span class="field-label">{role === 'admin' ? 'Admin key' : 'User key'}</span>
          <input
            type="password"
            name="key"
            autoComplete="current-password"
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
            aria-describedby="key-help"
            autoFocus
          />
          <span class="field-help" id="key-help">
            The key heketi-cli uses (jwt.{role}.key). It stays in this tab's memory; every request is signed here and the key is never sent.
          </span>
        </label>
        {!window.isSecureContext ? (
          <div class="note note-warn" role="alert">
            This page is not a secure context, so the browser offers no WebCrypto to sign requests with. Open the console over https://
            (enable_tls or a TLS proxy) or through localhost (ssh -L 8080:127.0.0.1:8080).
          </div>
        ) : null}
        {error ? (
          <div class="note note-error" role="alert">
            {error}
          </div>
        ) : null}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || !window.isSecureContext}>
          {busy ? <Spinner label="Signing in" /> : null}
          Sign in
        </button>
        <p class="signin-server">Server: {location.host}</p>
      </form>
    </div>
  );
}

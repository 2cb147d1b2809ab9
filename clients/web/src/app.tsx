import { useState } from 'preact/hooks';
import { loadSession, saveSession, type Session } from './session.js';
import { SignIn } from './views/sign-in.js';
import { ChatScreen } from './views/chat-screen.js';

/** Signed out: the sign-in page; signed in: the chat, until sign-out or a refused token. */
export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<string>();
  const signIn = (s: Session) => {
    saveSession(s);
    setNotice(undefined);
    setSession(s);
  };
  const signOut = (reason?: string) => {
    saveSession(undefined);
    setNotice(reason);
    setSession(undefined);
  };
  return session ? (
    <ChatScreen key={session.token} session={session} onSignOut={signOut} />
  ) : (
    <SignIn onSignIn={signIn} notice={notice} />
  );
}

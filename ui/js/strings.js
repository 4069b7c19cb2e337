// Every sentence the pages show, in one place: the kiosk's and the staff desk's. Donna's own
// answers come from the server; these are the pages' words around them.

export const KIOSK = {
  greeting: "Hello, I'm Donna. How can I help you today?",
  stillThere: "Are you still there? Tap the screen or say something if you need more time.",
  goodbye: "Thank you for visiting. Goodbye!",
  visitTooLong: "I need to get ready for the next visitor now. Thank you for visiting. Goodbye!",
  somethingWrong: "Something went wrong. Please ask at the front desk.",
  unreachable: "Donna can't be reached right now. Please ask at the front desk.",
  voiceState: {
    idle: "Idle",
    listening: "Listening…",
    thinking: "Thinking…",
    speaking: "Speaking",
    off: "Voice off",
  },
  micIdle: "Hold to talk",
  micPressed: "Release to send",
  micMissing: "The microphone is not connected, so please type your question.",
  speakerMissing: "The speaker is not connected: Donna's answers show here as text.",
  voiceFailed: "Sorry, I couldn't answer that by voice. Please try again or type your question.",
  noVoiceInBrowser: "Voice is not available in this browser. Please type your question.",
  voiceUnavailable: "Voice is not available right now. Please type your question.",
  linkOffline: "Answering offline",
  linkReconnecting: "Reconnecting…",
  offlineNotice:
    "I'm answering from this kiosk now, without my online service. I can still check you in, take a message and give directions.",
  pushToTalk: "Hold the button and speak.",
  handsFree: "Just speak: Donna is listening.",
};

export const STAFF = {
  settings: {
    backend: {
      openai: "OpenAI Realtime (cloud), with the local engine when the cloud is out",
      local: "the local engine (offline, on this computer)",
    },
    key: {
      environment: "The OpenAI key comes from the environment (OPENAI_API_KEY), which wins over the keyring.",
      keyring: "An OpenAI key is saved in the OS keyring.",
      none: "No OpenAI key is set: Donna answers offline.",
    },
    noKeyring: "This computer has no OS keyring to save a key in.",
    saved: "Saved to the OS keyring. The kiosk uses the cloud from its next start.",
    removed: "Removed from the OS keyring. The kiosk answers offline from its next start.",
    status: { ok: "OK", warn: "Warning", fail: "Failed", skip: "Skipped" },
  },
  // What went wrong and what to do, shown where the list would be: in the desktop app
  // ("ipc"), whose token and front desk are settings, and in a browser ("http"), signed in.
  problems: {
    ipc: {
      refused: {
        title: "Donna refused this desk's staff token.",
        todo: "Ask whoever runs Donna for a new staff token (donna token mint --role staff), set it as DONNA_STAFF_TOKEN and start the staff desk again.",
      },
      unreachable: {
        title: "Donna's front desk can't be reached.",
        todo: "Check that the front desk computer is on and running Donna, and that DONNA_GATEWAY_URL names it. The staff desk keeps trying and catches up on its own.",
      },
      gateway: {
        title: "Donna's front desk answered with an error.",
        todo: "The staff desk keeps trying. If this stays, tell whoever runs Donna what it says below.",
      },
    },
    http: {
      refused: {
        title: "Donna refused your staff token.",
        todo: "It may have expired. Sign out and sign in with a new staff token from whoever runs Donna.",
      },
      unreachable: {
        title: "Donna's front desk can't be reached.",
        todo: "Check that the front desk computer is on and running Donna. This page keeps trying and catches up on its own.",
      },
      gateway: {
        title: "Donna's front desk answered with an error.",
        todo: "This page keeps trying. If this stays, tell whoever runs Donna what it says below.",
      },
    },
  },
  onMyWay: "On my way",
  onTheWay: "On the way",
  checkedOut: "Checked out",
  leftAt: (time) => `Left at ${time}`,
  messageFrom: (name, contact) => `From ${name}${contact ? ` (${contact})` : ""}`,
  signedOut: "Signed out",
  atReception: (name, appointment) => `${name} is at reception${appointment ? ` (appointment ${appointment})` : ""}.`,
  link: {
    connecting: "Connecting…",
    connected: "Connected",
    reconnecting: (detail) => `Reconnecting: ${detail}`,
    unreachable: "Front desk unreachable",
    refused: "Token refused",
  },
};
